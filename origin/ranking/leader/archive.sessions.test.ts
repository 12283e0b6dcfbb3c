import { randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import type { StoredEvent } from "../../../contracts/event.schema";
import { LakeKeys } from "../../../contracts/keyspace";
import { rankerTestRig, seedCatalog } from "../../../testing/origin/ranking/ranker.testing";
import { DEFAULT_RANKER_SERVICE } from "../config/ranker.options";
import { ARCHIVE_EVENTS_PREFIX, readArchiveSessions } from "./archive.sessions";

const { redis, s3, bucket, started: startedRanker } = rankerTestRig();

const MINUTE = 60_000;
/** A root of its own per test: the archive's `lake/events/` layout under it. */
const uniqueRoot = () => `t-${randomUUID().slice(0, 8)}/`;

/** One archived event at stream id `{at}-{seq}`, received by the edge at `receivedAt` (or `at`). */
interface Archived {
  user: string;
  type: StoredEvent["event"]["type"];
  video: string;
  at: number;
  seq?: number;
  receivedAt?: number;
}

const lineOf = (
  { user, type, video, at, seq = 0, receivedAt = at }: Archived,
  flagged = false,
): string => {
  const event: StoredEvent = {
    event: {
      id: `e-${randomUUID().slice(0, 12)}`,
      type,
      video_id: video,
      ts: at,
      ...(type === "follow" ? { creator_id: "maker" } : {}),
    } as StoredEvent["event"],
    user_id: user,
    session_id: `${user}-s`,
    region: "eu",
    received_at: receivedAt,
    weight: 1,
  };
  const line = { id: `${at}-${seq}`, e: JSON.stringify(event) };
  return JSON.stringify(flagged ? { ...line, flagged: true } : line);
};

/** Puts a segment where the archiver would, under `root`; returns its key. */
async function putSegment(
  root: string,
  partition: number,
  events: Archived[],
  extraLines: string[] = [],
): Promise<string> {
  const first = events[0] ?? expect.fail("a segment holds events");
  const last = events[events.length - 1] ?? first;
  const windowStart = Math.floor(first.at / MINUTE) * MINUTE;
  const id = (event: Archived) => `${event.at}-${event.seq ?? 0}`;
  const key = `${root}${LakeKeys.segment(partition, windowStart, id(first), id(last))}`;
  const text = `${[...events.map((event) => lineOf(event)), ...extraLines].join("\n")}\n`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync(text) }));
  return key;
}

describe("readArchiveSessions", () => {
  it("builds per-user sessions of engaged known videos in order, split at 30-minute pauses", async () => {
    const root = uniqueRoot();
    const now = Date.UTC(2026, 5, 10, 12);
    const t = now - 3 * 3_600_000;
    const videos = ["v1", "v2", "v3", "v4", "v5", "v6", "v7"];
    const known = new Map(videos.map((id, item) => [id, item]));

    // Partition 0, minute t: ann's first session begins. Her last batch of the minute shares one
    // receive time with the first of the next minute's segment: the stream id orders them.
    const batch = t + 59_000;
    await putSegment(
      root,
      0,
      [
        { user: "ann", type: "impression", video: "v1", at: t },
        { user: "ann", type: "like", video: "v1", at: t, seq: 1 },
        { user: "ann", type: "complete", video: "v1", at: t, seq: 2 },
        { user: "ann", type: "play", video: "v2", at: t + 10_000 },
        { user: "ann", type: "like", video: "unknown-video", at: t + 30_000 },
        { user: "ann", type: "complete", video: "v2", at: t + MINUTE - 1, receivedAt: batch },
      ],
      ["not json", '{"id":"1-0","e":"{}"}', '{"id":"bad","e":null}'],
    );
    // The next minute's segment, newer, so read first: it continues the session, then a pause of
    // 31 minutes starts a second one.
    await putSegment(root, 0, [
      { user: "ann", type: "share", video: "v3", at: t + MINUTE, receivedAt: batch },
      { user: "ann", type: "skip", video: "v4", at: t + MINUTE + 5_000 },
    ]);
    await putSegment(root, 0, [
      { user: "ann", type: "comment", video: "v4", at: t + 32 * MINUTE + 5_000 },
      { user: "ann", type: "follow", video: "v5", at: t + 33 * MINUTE },
    ]);
    // bob: one engagement after a pause teaches nothing and is dropped.
    await putSegment(root, 1, [
      { user: "bob", type: "like", video: "v6", at: t - 5 * MINUTE },
      { user: "bob", type: "like", video: "v7", at: t - 4 * MINUTE },
      { user: "bob", type: "like", video: "v1", at: t + 40 * MINUTE },
    ]);
    // An entry archived twice (an archiver replay with an overlapping range) counts once.
    await putSegment(root, 1, [{ user: "bob", type: "like", video: "v7", at: t - 4 * MINUTE }]);
    // cat's only segment is cut off mid-stream: gunzip fails partway, nothing of it is kept.
    const cut = gzipSync(
      `${[
        { user: "cat", type: "like" as const, video: "v1", at: t },
        { user: "cat", type: "like" as const, video: "v2", at: t + 1_000 },
      ]
        .map((event) => lineOf(event))
        .join("\n")}\n`,
    );
    const catKey = `${root}${LakeKeys.segment(1, t - (t % MINUTE) + 2 * MINUTE, "a", "b")}`;
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: catKey, Body: cut.subarray(0, cut.length - 12) }),
    );
    // Outside the two days asked for.
    await putSegment(root, 0, [
      { user: "dan", type: "like", video: "v1", at: now - 3 * 86_400_000 },
      { user: "dan", type: "like", video: "v2", at: now - 3 * 86_400_000 + 1_000 },
    ]);

    const { sessions, stats } = await readArchiveSessions({
      s3,
      bucket,
      prefix: `${root}${ARCHIVE_EVENTS_PREFIX}`,
      days: 2,
      now,
      itemOf: (id) => known.get(id),
      concurrency: 2,
    });
    const named = sessions.map((s) => Array.from(s, (item) => videos[item]));
    // Newest session first; within one, oldest engagement first, a repeated video once, and
    // nothing of impressions, plays, skips or unknown videos.
    expect(named).toEqual([
      ["v4", "v5"],
      ["v1", "v2", "v3"],
      ["v6", "v7"],
    ]);
    expect(stats).toMatchObject({
      listed: 6,
      read: 5,
      unreadable: 1,
      lines: 17,
      malformed: 3,
      unknownVideos: 1,
      sessions: 3,
      items: 7,
    });
  });

  it("never trains on the events the archive marked as a bot's", async () => {
    const root = uniqueRoot();
    const now = Date.UTC(2026, 5, 10, 12);
    const t = now - 3_600_000;
    const known = new Map(["v1", "v2", "v3"].map((id, item) => [id, item]));
    const bot = ["v1", "v2", "v3"].map((video, i) =>
      lineOf({ user: "bot", type: "like", video, at: t + i * 1_000, seq: 1 }, true),
    );
    await putSegment(
      root,
      0,
      [
        { user: "eve", type: "like", video: "v1", at: t },
        { user: "eve", type: "like", video: "v3", at: t + 5_000 },
      ],
      bot,
    );
    const { sessions, stats } = await readArchiveSessions({
      s3,
      bucket,
      prefix: `${root}${ARCHIVE_EVENTS_PREFIX}`,
      days: 1,
      now,
      itemOf: (id) => known.get(id),
    });
    expect(sessions.map((s) => Array.from(s))).toEqual([[0, 2]]);
    expect(stats).toMatchObject({ lines: 5, flagged: 3, malformed: 0, sessions: 1 });
  });

  it("keeps only the newest sessions when capped", async () => {
    const root = uniqueRoot();
    const now = Date.UTC(2026, 5, 11, 12);
    const events: Archived[] = [];
    for (let u = 0; u < 5; u++) {
      events.push(
        { user: `u${u}`, type: "like", video: `a${u}`, at: now - (10 - u) * MINUTE },
        { user: `u${u}`, type: "like", video: `b${u}`, at: now - (10 - u) * MINUTE, seq: 1 },
      );
    }
    await putSegment(root, 0, events);
    const { sessions } = await readArchiveSessions({
      s3,
      bucket,
      prefix: `${root}${ARCHIVE_EVENTS_PREFIX}`,
      days: 1,
      now,
      // a{u} is item u, b{u} item 100 + u.
      itemOf: (id) => Number(id.slice(1)) + (id.startsWith("b") ? 100 : 0),
      maxSessions: 2,
    });
    expect(sessions.map((s) => [...s])).toEqual([
      [4, 104],
      [3, 103],
    ]);
  });
});

describe("ranker retraining from the archive", () => {
  it("makes videos co-engaged in the archive each other's nearest neighbours", async () => {
    const prefix = `ra${randomUUID().slice(0, 8)}-`;
    const root = uniqueRoot();
    await seedCatalog(redis, prefix, ["A", "B", "C", "D"], 10);
    const service = await startedRanker(prefix, {
      archivePrefix: `${root}${ARCHIVE_EVENTS_PREFIX}`,
      trainDays: 2,
      trainEpochs: 5,
    });

    const video = (creator: string, n: number) => `${prefix}${creator}-${n % 10}`;
    const item = (id: string) => service.model.catalog.lookup(id) ?? expect.fail(`${id} unknown`);
    const a0 = item(video("A", 0));
    const creatorsAfterA0 = () =>
      service.model
        .nearest(service.model.sequence.userVector([a0]), 5, (i) => i !== a0)
        .map((i) => service.model.catalog.get(i)?.creatorId);
    // By content alone, A's videos are each other's nearest.
    expect(creatorsAfterA0()).toEqual(Array(5).fill(`${prefix}A`));

    // 300 viewers an hour ago, each alternating A and C or B and D a minute apart, spread over
    // one segment per minute and partition as the archiver writes them.
    const start = Date.now() - 3_600_000;
    const segments = new Map<string, Archived[]>();
    for (let s = 0; s < 300; s++) {
      const [first, second] = s % 2 === 0 ? ["A", "C"] : ["B", "D"];
      for (let t = 0; t < 8; t++) {
        const at = start + t * MINUTE + s;
        const id = t % 2 === 0 ? video(first, s + t * 3) : video(second, s + t * 7);
        const cell = `${s % 2}:${t}`;
        const list = segments.get(cell) ?? [];
        list.push({ user: `${prefix}u${s}`, type: "complete", video: id, at, seq: 0 });
        segments.set(cell, list);
      }
    }
    const started = performance.now();
    for (const [cell, events] of segments) await putSegment(root, Number(cell[0]), events);
    console.log(
      `archive: ${segments.size} segments written in ${(performance.now() - started).toFixed(0)} ms`,
    );

    await service.tick(Date.now() + DEFAULT_RANKER_SERVICE.trainMs);
    await service.retrained();
    const trained = creatorsAfterA0();
    console.log(`after A-0, retrained on the archive: ${trained.join(", ")}`);
    expect(trained.filter((creator) => creator === `${prefix}C`).length).toBeGreaterThanOrEqual(3);
  });
});
