import { STREAM_FIELD, type StoredEvent } from "../../contracts/event.schema";
import { decodeStoredEvent } from "./stored-event.decoder";

export type StreamEntry = { id: string; fields: string[] };

/** A stream id's milliseconds and sequence number (0 when it has none). */
function idParts(id: string): [ms: number, seq: number] {
  const dash = id.indexOf("-");
  return dash < 0 ? [Number(id), 0] : [Number(id.slice(0, dash)), Number(id.slice(dash + 1))];
}

/** Orders stream ids ("ms-seq") numerically; string order breaks once ms grows a digit. */
export function compareIds(a: string, b: string): number {
  const [am, as] = idParts(a);
  const [bm, bs] = idParts(b);
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
 * The stored event an entry holds, validated as StoredEventSchema (the edge's own) would, or
 * null for an entry no edge could have written (it is acknowledged and counted, never retried).
 */
export function decodeEntry(entry: StreamEntry): StoredEvent | null {
  const at = entry.fields.indexOf(STREAM_FIELD);
  const json = at >= 0 && at % 2 === 0 ? entry.fields[at + 1] : undefined;
  return json === undefined ? null : decodeStoredEvent(json);
}
