/*
 * What the feature store's keys hold: the window buckets of `vf:{video}` and `tr:{region}:{start}`
 * and the caps of `recent:{user}` and `follows:{user}`. The key names themselves are featureKeys
 * in contracts/keyspace.ts.
 */

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

/**
 * A field of `vf:{video}`, which holds the all-time counters (`views`, …; the milestone check reads
 * `views`), the window buckets (`1h:{start}:views`) and `@b`, the newest bucket start per window,
 * which tells the commit script when to drop buckets that aged out.
 */
export const bucketField = (window: WindowName, start: number, counter: string) =>
  `${window}:${start}:${counter}`;
