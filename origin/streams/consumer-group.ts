import type { Redis } from "ioredis";

/**
 * Creates `group` on `stream` from the stream's start (MKSTREAM: the stream may not exist yet), so
 * entries appended before the first consumer joined are read too. An existing group is kept with
 * its position: BUSYGROUP is the normal answer on every start but the first.
 */
export async function ensureConsumerGroup(redis: Redis, stream: string, group: string) {
  try {
    await redis.xgroup("CREATE", stream, group, "0", "MKSTREAM");
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith("BUSYGROUP"))) throw error;
  }
}

export interface GroupRead {
  group: string;
  consumer: string;
  streams: readonly string[];
  count: number;
  blockMs: number;
}

/**
 * XREADGROUP of entries never delivered to the group (`>`) on every stream at once, waiting up to
 * `blockMs`. Replies `[stream, raw entries][]`, or null when nothing arrived in time. Blocking parks
 * the connection: callers give it one of its own.
 */
export async function readGroup(
  redis: Redis,
  { group, consumer, streams, count, blockMs }: GroupRead,
): Promise<[string, unknown][] | null> {
  return (await redis.call(
    "XREADGROUP",
    "GROUP",
    group,
    consumer,
    "COUNT",
    count,
    "BLOCK",
    blockMs,
    "STREAMS",
    ...streams,
    ...streams.map(() => ">"),
  )) as [string, unknown][] | null;
}
