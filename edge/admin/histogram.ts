/**
 * The q-quantile of a per-minute histogram stored as non-cumulative `{prefix}le_{bound}` fields,
 * interpolated linearly inside the bucket (as Prometheus' histogram_quantile does); the open
 * `le_inf` bucket reports the largest finite bound. Null when the minute has no observations.
 */
export function quantile(fields: Record<string, number>, prefix: string, q: number): number | null {
  const buckets: { bound: number; count: number }[] = [];
  for (const [name, count] of Object.entries(fields)) {
    if (!name.startsWith(`${prefix}le_`)) continue;
    const bound = name.slice(prefix.length + 3);
    buckets.push({
      bound: bound === "inf" ? Number.POSITIVE_INFINITY : Number(bound),
      count: Number(count),
    });
  }
  buckets.sort((a, b) => a.bound - b.bound);
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  if (total === 0) return null;
  const target = q * total;
  let below = 0;
  let lower = 0;
  for (const { bound, count } of buckets) {
    if (below + count >= target && count > 0) {
      if (bound === Number.POSITIVE_INFINITY) return lower;
      return lower + ((bound - lower) * (target - below)) / count;
    }
    below += count;
    if (bound !== Number.POSITIVE_INFINITY) lower = bound;
  }
  return lower;
}
