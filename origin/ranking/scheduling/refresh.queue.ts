import type { Redis } from "ioredis";
import type { RankerKeys } from "../../../contracts/keyspace";

/** One refresh per user per window: the edge asks at most once a minute, replicas may repeat. */
export const REFRESH_COALESCE_MS = 10_000;

/**
 * Makes `fyp:{user}` due now for the ranker role (ZADD LT keeps an earlier due time) unless a
 * request for this user passed within the coalescing window; marks the user active. Returns
 * whether this call queued the refresh.
 */
export async function enqueueRefresh(
  redis: Redis,
  keys: RankerKeys,
  userId: string,
  region: string,
  coalesceMs = REFRESH_COALESCE_MS,
  now = Date.now(),
): Promise<boolean> {
  const first = await redis.set(keys.coalesce(userId), "1", "PX", coalesceMs, "NX");
  if (first !== "OK") return false;
  await redis
    .multi()
    .zadd(keys.due(), "LT", now, userId)
    .zadd(keys.active(), now, userId)
    .hset(keys.regions(), userId, region)
    .sadd(keys.regionSet(), region)
    .exec();
  return true;
}
