import { EventKeys } from "../../contracts/event.schema";
import { CatalogKeys } from "../../contracts/video.schema";

/** The consumer group every feature processor joins on every partition. */
export const FEATURES_GROUP = "features";

/** Sliding windows, each a ring of buckets: 12 buckets per window keeps reads cheap. */
export const WINDOWS = [
  { name: "1h", spanMs: 3_600_000, bucketMs: 300_000 },
  { name: "6h", spanMs: 21_600_000, bucketMs: 1_800_000 },
  { name: "24h", spanMs: 86_400_000, bucketMs: 7_200_000 },
] as const;

export type WindowName = (typeof WINDOWS)[number]["name"];

/** Trending counts engagement per minute per region and looks back half an hour. */
export const TRENDING_BUCKET_MS = 60_000;
export const TRENDING_LOOKBACK_BUCKETS = 30;

/** Short-term sequence: last 30 min, at most 50 videos (docs/architecture.md, "Signal path"). */
export const RECENT_WINDOW_MS = 30 * 60_000;
export const RECENT_MAX_VIDEOS = 50;
/** The follow graph keeps each user's newest follows; the social rail reads far fewer. */
export const FOLLOWS_MAX_CREATORS = 5_000;

export const bucketStart = (time: number, bucketMs: number) => time - (time % bucketMs);

export const bucketField = (window: WindowName, start: number, counter: string) =>
  `${window}:${start}:${counter}`;

export type FeatureKeys = ReturnType<typeof featureKeys>;

/**
 * Every key the processor reads or writes. `prefix` is empty in production; tests give each
 * run its own so they share one Redis server without colliding.
 */
export function featureKeys(prefix: string) {
  return {
    stream: (partition: number) => prefix + EventKeys.stream(partition),
    notify: () => prefix + EventKeys.notify(),
    video: (videoId: string) => prefix + CatalogKeys.video(videoId),
    trending: (region: string) => prefix + CatalogKeys.trending(region),
    lease: (partition: number) => `${prefix}features:lease:${partition}`,
    positions: () => `${prefix}features:positions`,
    members: () => `${prefix}features:members`,
    /**
     * One hash per video: all-time counters (`views`, …; the milestone check reads `views`),
     * the window buckets (`1h:{start}:views`, see bucketField) and `@b`, the newest bucket
     * start per window, which tells the commit script when to drop buckets that aged out.
     */
    videoFeatures: (videoId: string) => `${prefix}vf:${videoId}`,
    interest: (userId: string) => `${prefix}ui:${userId}`,
    /**
     * The user's short-term sequence: a sorted set video id → when it was last engaged with
     * (ms; complete, replay, like, share, comment, follow), the last RECENT_WINDOW_MS and at most
     * RECENT_MAX_VIDEOS, oldest first by score. The ranker turns it into the short-term embedding.
     */
    recent: (userId: string) => `${prefix}recent:${userId}`,
    /** Sorted set creator id → when the user followed them (ms): the social rail's source. */
    follows: (userId: string) => `${prefix}follows:${userId}`,
    trendingBucket: (region: string, start: number) => `${prefix}tr:${region}:${start}`,
    trendingRegions: () => `${prefix}trending:regions`,
    trendingLock: () => `${prefix}trending:lock`,
    spamSession: (sessionId: string) => `${prefix}spam:session:${sessionId}`,
  };
}
