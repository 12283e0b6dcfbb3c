import { isGaugeField } from "../../contracts/gauges";

/** One minute hash as read, or several merged: field → value. */
export type Fields = Record<string, number>;

/**
 * The minutes of one point merged into one set of fields: counters add up, so ratios and
 * percentiles of the point are those of all its requests; a gauge keeps its highest reading,
 * so a burst of lag in the night survives the ten-minute points instead of being averaged away.
 */
export function mergeMinutes(minutes: readonly Fields[]): Fields {
  const merged: Fields = {};
  for (const minute of minutes) {
    for (const [name, raw] of Object.entries(minute)) {
      const value = Number(raw);
      const seen = merged[name];
      if (seen === undefined) merged[name] = value;
      else merged[name] = isGaugeField(name) ? Math.max(seen, value) : seen + value;
    }
  }
  return merged;
}
