import type { Redis } from "ioredis";
import type { FeatureKeys } from "../../contracts/keyspace";
import { bucketField, bucketStart, WINDOWS, type WindowName } from "./feature-windows";
import { VIDEO_COUNTERS, type VideoCounter } from "./video-metrics";

export type Counters = Record<VideoCounter, number>;

export interface WindowFeatures extends Counters {
  /** (likes + shares + comments + follows) / views; 0 before the first view. */
  engagement_rate: number;
  /** completes / views. */
  completion_rate: number;
}

const zero = (): Counters => Object.fromEntries(VIDEO_COUNTERS.map((c) => [c, 0])) as Counters;

function withRates(counters: Counters): WindowFeatures {
  const { views } = counters;
  const engaged = counters.likes + counters.shares + counters.comments + counters.follows;
  return {
    ...counters,
    engagement_rate: views > 0 ? engaged / views : 0,
    completion_rate: views > 0 ? counters.completes / views : 0,
  };
}

/** A video's counters over each sliding window, summed over the window's buckets at `now`. */
export async function readVideoWindows(
  redis: Redis,
  keys: FeatureKeys,
  videoId: string,
  now = Date.now(),
): Promise<Record<WindowName, WindowFeatures>> {
  const raw = await redis.hgetall(keys.videoFeatures(videoId));
  const result = {} as Record<WindowName, WindowFeatures>;
  for (const window of WINDOWS) {
    const sum = zero();
    const newest = bucketStart(now, window.bucketMs);
    for (let i = 0; i < window.spanMs / window.bucketMs; i++) {
      const start = newest - i * window.bucketMs;
      for (const counter of VIDEO_COUNTERS) {
        sum[counter] += Number(raw[bucketField(window.name, start, counter)] ?? 0);
      }
    }
    result[window.name] = withRates(sum);
  }
  return result;
}

/** All-time counters of a video. */
export async function readVideoTotals(
  redis: Redis,
  keys: FeatureKeys,
  videoId: string,
): Promise<WindowFeatures> {
  const raw = await redis.hgetall(keys.videoFeatures(videoId));
  const counters = zero();
  for (const counter of VIDEO_COUNTERS) counters[counter] = Number(raw[counter] ?? 0);
  return withRates(counters);
}
