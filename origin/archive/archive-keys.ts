/** Segments cover one minute of one partition: small enough to write often, big enough to scan. */
export const SEGMENT_WINDOW_MS = 60_000;

/**
 * `lake/events/date=YYYY-MM-DD/p={p}/{window start}_{first id}_{last id}.ndjson.gz`: the key is
 * a function of the partition and the id range alone, so a retried segment has the same key
 * and is found instead of written again. Dates are UTC, from the stream ids (edge append time).
 */
export function segmentKey(
  partition: number,
  windowStart: number,
  firstId: string,
  lastId: string,
): string {
  const date = new Date(windowStart).toISOString().slice(0, 10);
  return `lake/events/date=${date}/p=${partition}/${windowStart}_${firstId}_${lastId}.ndjson.gz`;
}
