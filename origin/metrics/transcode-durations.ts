import type { Redis } from "ioredis";
import { idMillis } from "./stream-info";

/** On the first scrape, videos that went live this long ago still count. */
const LOOKBACK_MS = 3_600_000;
const BATCH = 500;

function field(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/**
 * Follows `upload-events` and, for each video that went live, finds its job on `uploads`: the
 * two entry ids' timestamps bracket queue wait, probe, ffmpeg and publish. Each call returns the
 * durations (s) of videos that went live since the previous call.
 */
export function transcodeDurations(
  redis: Redis,
  streams: { jobs: string; events: string },
  now = Date.now,
) {
  let after: string | null = null;
  return {
    async next(): Promise<number[]> {
      const start: string = after === null ? `${now() - LOOKBACK_MS}-0` : `(${after}`;
      const live = await redis.xrange(streams.events, start, "+", "COUNT", BATCH);
      const last = live.at(-1);
      if (!last) return [];
      // Jobs are queued before their video goes live; one range read covers the whole batch.
      const from = idMillis(live[0]![0]) - LOOKBACK_MS;
      const jobs = await redis.xrange(streams.jobs, `${from}-0`, last[0]);
      const queuedAt = new Map<string, number>();
      for (const [id, fields] of jobs) {
        const video = field(fields, "video_id");
        if (video) queuedAt.set(video, idMillis(id));
      }
      after = last[0];
      return live.flatMap(([id, fields]) => {
        const queued = queuedAt.get(field(fields, "video_id") ?? "");
        return queued === undefined ? [] : [(idMillis(id) - queued) / 1000];
      });
    },
  };
}
