import type { StoredEvent } from "../../contracts/event.schema";
import {
  bucketStart,
  type FeatureKeys,
  TRENDING_BUCKET_MS,
  TRENDING_LOOKBACK_BUCKETS,
  WINDOWS,
} from "./feature-keys";
import { UserSequences } from "./user-sequence-ops";
import { counterDeltas, INTEREST_POINTS, TRENDING_POINTS } from "./video-metrics";

/** One write of the commit script; see commit-batch.lua.ts for the kinds. */
export type Op = (string | number | (string | number)[])[];

export interface VideoMeta {
  creatorId: string;
  audioId: string;
  hashtags: string[];
}

export interface BatchContext {
  keys: FeatureKeys;
  meta: (stored: StoredEvent) => VideoMeta;
  /** Whether the session is flagged as a bot by the time this event is seen. */
  flagged: (stored: StoredEvent) => boolean;
  /** Sessions flagged by this batch, persisted with it. */
  newlyFlagged: string[];
}

export const MILESTONES = [10_000, 100_000];
export const INTEREST_HALF_LIFE_MS = 10 * 60_000;
export const INTEREST_TTL_S = 30 * 60;
const INTEREST_TAU_MS = INTEREST_HALF_LIFE_MS / Math.LN2;
const INTEREST_MAX_MEMBERS = 200;
const SPAM_FLAG_TTL_S = 24 * 3600;

class Sums {
  readonly values = new Map<string, Map<string, number>>();
  add(key: string, member: string, delta: number): void {
    const inner = this.values.get(key) ?? new Map<string, number>();
    inner.set(member, (inner.get(member) ?? 0) + delta);
    this.values.set(key, inner);
  }
}

/**
 * Turns a batch of stored events into the commit script's writes, summed per key so a batch
 * of 500 events touching 50 videos costs a few hundred writes, not thousands. Pure: the same
 * batch gives the same ops, so a replay after a crash writes what the lost attempt would have.
 */
export function batchOps(batch: readonly StoredEvent[], context: BatchContext): Op[] {
  const { keys } = context;
  const totals = new Sums();
  const buckets = new Map<string, Map<string, number>>();
  const newest = Math.max(...batch.map((stored) => stored.received_at));
  const trending = new Sums();
  const regions = new Set<string>();
  const interest = new Map<string, { now: number; events: StoredEvent[] }>();
  const creators = new Map<string, string>();
  const sequences = new UserSequences();

  for (const stored of batch) {
    const videoId = stored.event.video_id;
    const meta = context.meta(stored);
    creators.set(videoId, meta.creatorId);
    for (const [counter, delta] of Object.entries(counterDeltas(stored))) {
      totals.add(videoId, counter, delta);
      const videoBuckets = buckets.get(videoId) ?? new Map<string, number>();
      WINDOWS.forEach((window, r) => {
        const start = bucketStart(stored.received_at, window.bucketMs);
        // Already outside its window when the batch was written: would never be read.
        if (start <= bucketStart(newest, window.bucketMs) - window.spanMs) return;
        const field = `${r + 1} ${start} ${counter}`;
        videoBuckets.set(field, (videoBuckets.get(field) ?? 0) + delta);
      });
      buckets.set(videoId, videoBuckets);
    }
    const flagged = context.flagged(stored);
    if (!flagged) sequences.add(stored);
    const points = TRENDING_POINTS[stored.event.type];
    if (points !== undefined && !flagged) {
      const start = bucketStart(stored.received_at, TRENDING_BUCKET_MS);
      trending.add(keys.trendingBucket(stored.region, start), videoId, points * stored.weight);
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
  for (const [videoId, fields] of totals.values) {
    const counters: (string | number)[] = [];
    for (const [field, delta] of fields) {
      if (delta === 0) continue;
      if (field !== "views") counters.push(field, delta);
      else {
        const creator = creators.get(videoId) ?? "";
        const notify = keys.notify();
        ops.push(["v", keys.videoFeatures(videoId), delta, notify, videoId, creator, MILESTONES]);
      }
    }
    const windowed: (string | number)[] = [];
    for (const [field, delta] of buckets.get(videoId) ?? []) {
      if (delta !== 0) windowed.push(...field.split(" "), delta);
    }
    ops.push(["w", keys.videoFeatures(videoId), counters, windowed]);
  }
  const trendingTtl = Math.ceil(((TRENDING_LOOKBACK_BUCKETS + 2) * TRENDING_BUCKET_MS) / 1000);
  for (const [key, members] of trending.values) {
    for (const [member, delta] of members) ops.push(["z", key, member, delta]);
    ops.push(["x", key, trendingTtl]);
  }
  for (const region of regions) ops.push(["s", keys.trendingRegions(), region]);
  for (const [userId, { now, events }] of interest) {
    ops.push(interestOp(keys, userId, now, events, context));
  }
  ops.push(...sequences.ops(keys));
  for (const sessionId of context.newlyFlagged) {
    ops.push(["f", keys.spamSession(sessionId), "1", SPAM_FLAG_TTL_S]);
  }
  return ops;
}

function interestOp(
  keys: FeatureKeys,
  userId: string,
  now: number,
  events: StoredEvent[],
  context: BatchContext,
): Op {
  const affinity = new Map<string, number>();
  const add = (member: string, delta: number) =>
    affinity.set(member, (affinity.get(member) ?? 0) + delta);
  for (const stored of events) {
    const points = INTEREST_POINTS[stored.event.type] ?? 0;
    // Decayed to the batch's latest event, so the script rescales the set once per batch.
    const delta = points * stored.weight * Math.exp(-(now - stored.received_at) / INTEREST_TAU_MS);
    const meta = context.meta(stored);
    if (meta.creatorId) add(`c:${meta.creatorId}`, delta);
    if (meta.audioId) add(`s:${meta.audioId}`, delta);
    for (const tag of meta.hashtags) add(`h:${tag}`, delta);
  }
  const deltas = [...affinity].flat();
  return [
    "i",
    keys.interest(userId),
    now,
    INTEREST_TAU_MS,
    INTEREST_TTL_S,
    INTEREST_MAX_MEMBERS,
    deltas,
  ];
}
