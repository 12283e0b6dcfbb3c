import type { StoredEvent } from "../../contracts/event.schema";
import type { FeatureKeys } from "../../contracts/keyspace";
import {
  bucketStart,
  TRENDING_BUCKET_MS,
  TRENDING_LOOKBACK_BUCKETS,
  WINDOWS,
} from "./feature-windows";
import { UserSequences } from "./user-sequence-ops";
import {
  counterDeltas,
  INTEREST_POINTS,
  TRENDING_POINTS,
  VIDEO_COUNTERS,
  type VideoCounter,
} from "./video-metrics";

/** One write of the commit script; see commit-batch.lua.ts for the kinds. */
export type Op = (string | number | (string | number)[])[];

export interface VideoMeta {
  creatorId: string;
  audioId: string;
  hashtags: readonly string[];
}

export interface BatchContext {
  keys: FeatureKeys;
  meta: (stored: StoredEvent) => VideoMeta;
  /** Whether the user is flagged as a bot by the time this event is seen. */
  flagged: (stored: StoredEvent) => boolean;
  /** Users flagged by this batch, persisted with it. */
  newlyFlagged: string[];
}

/** What a batch writes, and its newest edge time: the script drops window buckets older than it. */
export interface BatchWrites {
  newestAt: number;
  ops: Op[];
}

export const INTEREST_HALF_LIFE_MS = 10 * 60_000;
export const INTEREST_TTL_S = 30 * 60;
const INTEREST_TAU_MS = INTEREST_HALF_LIFE_MS / Math.LN2;
const INTEREST_MAX_MEMBERS = 200;
const SPAM_FLAG_TTL_S = 24 * 3600;
const TRENDING_TTL_S = Math.ceil(((TRENDING_LOOKBACK_BUCKETS + 2) * TRENDING_BUCKET_MS) / 1000);
/**
 * The most trending points one user gives one video per window of trending's lookback: a full
 * engagement (play, complete, replay, like, share and follow are 17) fits, a farm of replays from
 * one account does not, so trending measures how many people engage, not how hard one does.
 */
export const TRENDING_USER_CAP = 20;
const TRENDING_CAP_TTL_S = (TRENDING_LOOKBACK_BUCKETS * TRENDING_BUCKET_MS) / 1000;

/**
 * Each window's bucket is a whole number of the first window's buckets, so one delta per
 * counter and finest bucket tells the script every window bucket to add it to.
 */
const FINEST_BUCKET_MS = WINDOWS[0].bucketMs;
if (WINDOWS.some((window) => window.bucketMs % FINEST_BUCKET_MS !== 0)) {
  throw new Error("every window's bucket must be a multiple of the first window's");
}

function addTo<K>(sums: Map<K, number>, key: K, delta: number): void {
  sums.set(key, (sums.get(key) ?? 0) + delta);
}

const COUNTER_INDEX = new Map<string, number>(VIDEO_COUNTERS.map((counter, i) => [counter, i]));

/** One video's part of a batch: its counter deltas per finest bucket of edge time. */
class VideoSums {
  /** The creator of the batch's last event of the video: milestone messages name it. */
  creatorId = "";
  /** Bucket start → deltas in VIDEO_COUNTERS order. */
  private readonly buckets = new Map<number, number[]>();

  /** Adds one event's counter deltas to the bucket of its edge time. */
  add(receivedAt: number, deltas: Partial<Record<VideoCounter, number>>): void {
    const start = bucketStart(receivedAt, FINEST_BUCKET_MS);
    let sums = this.buckets.get(start);
    if (!sums) {
      sums = new Array<number>(VIDEO_COUNTERS.length).fill(0);
      this.buckets.set(start, sums);
    }
    for (const [counter, delta] of Object.entries(deltas))
      sums[COUNTER_INDEX.get(counter)!]! += delta;
  }

  /**
   * `w video creator start 2n (counter delta)*n` per finest bucket: a batch spans seconds, so
   * nearly always one. Deltas that cancelled out are not written.
   */
  ops(videoId: string): Op[] {
    const ops: Op[] = [];
    for (const [start, deltas] of this.buckets) {
      const nonZero: (string | number)[] = [];
      deltas.forEach((delta, i) => {
        if (delta !== 0) nonZero.push(VIDEO_COUNTERS[i]!, delta);
      });
      if (nonZero.length > 0) ops.push(["w", videoId, this.creatorId, start, nonZero]);
    }
    return ops;
  }
}

/**
 * Turns a batch of stored events into the commit script's writes, summed per key so a batch
 * of 500 events touching 50 videos costs a few hundred writes, not thousands. Pure: the same
 * batch gives the same writes, so a replay after a crash writes what the lost attempt would have.
 */
export function batchOps(batch: readonly StoredEvent[], context: BatchContext): BatchWrites {
  const { keys } = context;
  const videos = new Map<string, VideoSums>();
  let newestAt = 0;
  /** Trending bucket key → user's cap key for the video → [video, points]. */
  const trending = new Map<string, Map<string, [string, number]>>();
  const regions = new Set<string>();
  const interest = new Map<string, { now: number; events: StoredEvent[] }>();
  const sequences = new UserSequences();

  for (const stored of batch) {
    const videoId = stored.event.video_id;
    newestAt = Math.max(newestAt, stored.received_at);
    let video = videos.get(videoId);
    if (!video) {
      video = new VideoSums();
      videos.set(videoId, video);
    }
    video.creatorId = context.meta(stored).creatorId;
    video.add(stored.received_at, counterDeltas(stored));
    const flagged = context.flagged(stored);
    if (!flagged) sequences.add(stored);
    const points = TRENDING_POINTS[stored.event.type];
    if (points !== undefined && !flagged) {
      const key = keys.trendingBucket(
        stored.region,
        bucketStart(stored.received_at, TRENDING_BUCKET_MS),
      );
      let members = trending.get(key);
      if (!members) {
        members = new Map();
        trending.set(key, members);
      }
      const capKey = keys.trendingCap(stored.user_id, videoId);
      const sum = members.get(capKey) ?? [videoId, 0];
      sum[1] += points * stored.weight;
      members.set(capKey, sum);
      regions.add(stored.region);
    }
    if (INTEREST_POINTS[stored.event.type] !== undefined) {
      const user = interest.get(stored.user_id) ?? { now: 0, events: [] };
      user.now = Math.max(user.now, stored.received_at);
      user.events.push(stored);
      interest.set(stored.user_id, user);
    }
  }

  const ops: Op[] = [];
  for (const [videoId, video] of videos) ops.push(...video.ops(videoId));
  for (const [key, members] of trending) {
    const deltas = [...members].flatMap(([capKey, [video, points]]) => [capKey, video, points]);
    ops.push(["t", key, TRENDING_TTL_S, TRENDING_CAP_TTL_S, TRENDING_USER_CAP, deltas]);
  }
  for (const region of regions) ops.push(["s", keys.trendingRegions(), region]);
  for (const [userId, { now, events }] of interest) {
    ops.push(interestOp(keys, userId, now, events, context));
  }
  ops.push(...sequences.ops(keys));
  for (const userId of context.newlyFlagged) {
    ops.push(["f", keys.spamUser(userId), "1", SPAM_FLAG_TTL_S]);
  }
  return { newestAt, ops };
}

function interestOp(
  keys: FeatureKeys,
  userId: string,
  now: number,
  events: StoredEvent[],
  context: BatchContext,
): Op {
  const affinity = new Map<string, number>();
  for (const stored of events) {
    const points = INTEREST_POINTS[stored.event.type] ?? 0;
    // Decayed to the batch's latest event, so the script rescales the set once per batch.
    const delta = points * stored.weight * Math.exp(-(now - stored.received_at) / INTEREST_TAU_MS);
    const meta = context.meta(stored);
    if (meta.creatorId) addTo(affinity, `c:${meta.creatorId}`, delta);
    if (meta.audioId) addTo(affinity, `s:${meta.audioId}`, delta);
    for (const tag of meta.hashtags) addTo(affinity, `h:${tag}`, delta);
  }
  return [
    "i",
    keys.interest(userId),
    now,
    INTEREST_TAU_MS,
    INTEREST_TTL_S,
    INTEREST_MAX_MEMBERS,
    [...affinity].flat(),
  ];
}
