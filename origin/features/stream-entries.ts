import * as v from "valibot";
import { STREAM_FIELD, type StoredEvent, StoredEventSchema } from "../../contracts/event.schema";

export type StreamEntry = { id: string; fields: string[] };

/** Orders stream ids ("ms-seq") numerically; string order breaks once ms grows a digit. */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am !== bm ? am - bm : as - bs;
}

function isEntry(value: unknown): value is [string, string[]] {
  return (
    Array.isArray(value) &&
    typeof value[0] === "string" &&
    Array.isArray(value[1]) &&
    value[1].every((f) => typeof f === "string")
  );
}

/** Entries of an XREADGROUP / XAUTOCLAIM reply; deleted entries (null fields) are left out. */
export function toEntries(raw: unknown): StreamEntry[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(isEntry).map(([id, fields]) => ({ id, fields }));
}

/**
 * The stored event an entry holds, validated with the same schema the edge wrote it with, or
 * null for an entry no edge could have written (it is acknowledged and counted, never retried).
 */
export function decodeEntry(entry: StreamEntry): StoredEvent | null {
  const at = entry.fields.indexOf(STREAM_FIELD);
  const json = at >= 0 && at % 2 === 0 ? entry.fields[at + 1] : undefined;
  if (json === undefined) return null;
  try {
    const parsed = v.safeParse(StoredEventSchema, JSON.parse(json));
    return parsed.success ? parsed.output : null;
  } catch {
    return null;
  }
}
