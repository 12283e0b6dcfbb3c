import { Redis } from "ioredis";
import * as v from "valibot";
import {
  partitionOf,
  STREAM_FIELD,
  type StoredEvent,
  StoredEventSchema,
} from "../contracts/event.schema";
import { EventKeys } from "../contracts/keyspace";

/** Every event of `userId` in its partition of the bus, as the edge stored it. */
export async function eventsOf(
  redisUrl: string,
  userId: string,
  partitions = 8,
): Promise<StoredEvent[]> {
  const redis = new Redis(redisUrl);
  try {
    const entries = await redis.xrange(EventKeys.stream(partitionOf(userId, partitions)), "-", "+");
    return entries.flatMap(([, fields]) => {
      const raw = fields[fields.indexOf(STREAM_FIELD) + 1];
      const stored = raw === undefined ? null : v.safeParse(StoredEventSchema, JSON.parse(raw));
      return stored?.success && stored.output.user_id === userId ? [stored.output] : [];
    });
  } finally {
    redis.disconnect();
  }
}

/** The set of video ids with at least one event of `type`. */
export function videosWith(events: StoredEvent[], type: string): Set<string> {
  return new Set(events.filter((s) => s.event.type === type).map((s) => s.event.video_id));
}

export function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
