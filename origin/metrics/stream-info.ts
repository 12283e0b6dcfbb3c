import type { Redis } from "ioredis";

/** What XINFO GROUPS says about one consumer group on one stream. */
export interface GroupInfo {
  pending: number;
  /** Entries not yet delivered to the group; Redis ≥ 7 only, null when it cannot tell. */
  lag: number | null;
  entriesRead: number | null;
}

/** XINFO GROUPS for `group` on `stream`; null when the stream or the group does not exist. */
export async function groupInfo(
  redis: Redis,
  stream: string,
  group: string,
): Promise<GroupInfo | null> {
  let reply: unknown;
  try {
    reply = await redis.call("XINFO", "GROUPS", stream);
  } catch (error) {
    if (error instanceof Error && error.message.includes("no such key")) return null;
    throw error;
  }
  if (!Array.isArray(reply)) return null;
  for (const flat of reply) {
    if (!Array.isArray(flat)) continue;
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), flat[i + 1]);
    if (fields.get("name") !== group) continue;
    return {
      pending: Number(fields.get("pending") ?? 0),
      lag: numberOrNull(fields.get("lag")),
      entriesRead: numberOrNull(fields.get("entries-read")),
    };
  }
  return null;
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** The millisecond part of a stream id (`ms-seq`). */
export function idMillis(id: string): number {
  return Number(id.slice(0, id.indexOf("-")));
}
