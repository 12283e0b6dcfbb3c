import type { Redis } from "ioredis";
import type { FeatureKeys } from "../../contracts/keyspace";
import { FOLLOWS_MAX_CREATORS, RECENT_WINDOW_MS } from "./feature-windows";

export interface RecentEngagement {
  videoId: string;
  /** When the user last engaged with the video (edge time, ms). */
  at: number;
}

/**
 * The videos the user engaged with in the RECENT_WINDOW_MS before `now`, oldest first: the
 * short-term sequence. Empty after 30 idle minutes (the set expires).
 */
export async function readRecentSequence(
  redis: Redis,
  keys: FeatureKeys,
  userId: string,
  now = Date.now(),
): Promise<RecentEngagement[]> {
  const flat = await redis.zrangebyscore(
    keys.recent(userId),
    now - RECENT_WINDOW_MS,
    "+inf",
    "WITHSCORES",
  );
  const sequence: RecentEngagement[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    sequence.push({ videoId: flat[i]!, at: Number(flat[i + 1]) });
  }
  return sequence;
}

/** The creators the user follows, most recently followed first. */
export async function readFollows(
  redis: Redis,
  keys: FeatureKeys,
  userId: string,
  limit = FOLLOWS_MAX_CREATORS,
): Promise<string[]> {
  return redis.zrevrange(keys.follows(userId), 0, limit - 1);
}
