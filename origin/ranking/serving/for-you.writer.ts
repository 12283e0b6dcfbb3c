import type { Redis } from "ioredis";
import { encodeForYouMember, type FeedReason } from "../../../contracts/feed.schema";
import { CatalogKeys } from "../../../contracts/keyspace";

export interface RankedVideo {
  videoId: string;
  reason: FeedReason;
}

/**
 * Refresh every 5–15 min (docs/architecture.md, "Retrieval and ranking"); the TTL outlives one
 * missed refresh.
 */
export interface ForYouTiming {
  refreshMinMs: number;
  refreshMaxMs: number;
  /** The list expires this long after the next planned refresh if no refresh comes. */
  graceMs: number;
}

export const DEFAULT_FOR_YOU_TIMING: ForYouTiming = {
  refreshMinMs: 5 * 60_000,
  refreshMaxMs: 15 * 60_000,
  graceMs: 5 * 60_000,
};

/**
 * Uniform in [min, max]: users ranked in the same batch spread their next refresh and expiry
 * over the whole interval instead of all coming due in the same second.
 */
export function jitteredDelay(timing: ForYouTiming, random: () => number): number {
  return Math.round(timing.refreshMinMs + random() * (timing.refreshMaxMs - timing.refreshMinMs));
}

/**
 * Replaces `fyp:{user}` with `videos` (best first; score = rank, highest first, as the UserFeed
 * object pops with ZPOPMAX) in one MULTI, so a reader never sees half a list; every member names
 * the A/B `arm` that ranked it, for the impression. Returns the delay after which this user
 * should be re-ranked.
 */
export async function writeForYou(
  redis: Redis,
  userId: string,
  videos: readonly RankedVideo[],
  arm: string,
  timing: ForYouTiming = DEFAULT_FOR_YOU_TIMING,
  random: () => number = Math.random,
): Promise<number> {
  const key = CatalogKeys.forYou(userId);
  const delay = jitteredDelay(timing, random);
  const multi = redis.multi().del(key);
  if (videos.length > 0) {
    const args = videos.flatMap((video, i) => [
      videos.length - i,
      encodeForYouMember(video.videoId, video.reason, arm),
    ]);
    multi.zadd(key, ...args).pexpire(key, delay + timing.graceMs);
  }
  await multi.exec();
  return delay;
}
