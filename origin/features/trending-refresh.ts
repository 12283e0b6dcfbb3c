import type { Redis } from "ioredis";
import type { FeatureKeys } from "../../contracts/keyspace";
import { bucketStart, TRENDING_BUCKET_MS, TRENDING_LOOKBACK_BUCKETS } from "./feature-windows";

export const TRENDING_SIZE = 500;
/** Engagement ten minutes old counts 1/e as much as engagement now. */
const VELOCITY_TAU_MS = 10 * 60_000;

/**
 * Recomputes `trending:{region}` as engagement velocity: points per minute over the last half
 * hour, each minute decayed by its age, then `trending-global` as their sum. A lock shared by every processor keeps it to at most
 * one recomputation per interval. ZUNIONSTORE replaces the set atomically; readers never see
 * it half built.
 */
export async function refreshTrending(
  redis: Redis,
  keys: FeatureKeys,
  intervalMs: number,
  now = Date.now(),
): Promise<boolean> {
  const locked = await redis.set(keys.trendingLock(), "1", "PX", Math.max(1, intervalMs), "NX");
  if (locked !== "OK") return false;
  const current = bucketStart(now, TRENDING_BUCKET_MS);
  const buckets = Array.from(
    { length: TRENDING_LOOKBACK_BUCKETS },
    (_, i) => current - i * TRENDING_BUCKET_MS,
  );
  const weights = buckets.map((start) => Math.exp(-(now - start) / VELOCITY_TAU_MS));
  const regions = await redis.smembers(keys.trendingRegions());
  for (const region of regions) {
    const destination = keys.trending(region);
    await redis
      .multi()
      .zunionstore(
        destination,
        buckets.length,
        ...buckets.map((start) => keys.trendingBucket(region, start)),
        "WEIGHTS",
        ...weights,
      )
      .zremrangebyrank(destination, 0, -(TRENDING_SIZE + 1))
      .exec();
  }
  if (regions.length > 0) {
    // Velocity summed over regions: what a region with no trending of its own is shown.
    await redis
      .multi()
      .zunionstore(keys.trendingGlobal(), regions.length, ...regions.map(keys.trending))
      .zremrangebyrank(keys.trendingGlobal(), 0, -(TRENDING_SIZE + 1))
      .exec();
  }
  return true;
}
