import type { Redis } from "@upstash/redis/cloudflare";
import * as v from "valibot";
import {
  type ClientEvent,
  ClientEventSchema,
  isLowValue,
  isSuppressing,
  partitionOf,
  type RejectedEvent,
  type StoredEvent,
} from "../../contracts/event.schema";
import { hash32 } from "../../contracts/hash";
import { CatalogKeys, EventKeys } from "../../contracts/keyspace";
import { APPEND_EVENTS_LUA, APPEND_RESULT } from "./append-events.lua";

export interface EventSource {
  userId: string;
  region: string;
  sessionId: string;
}

export interface IngestOptions {
  sampleRate: number;
  partitions: number;
  /** Approximate MAXLEN of each partition: about an hour of peak traffic per partition. */
  maxLen?: number;
  /** How long a client event id is remembered; client retries give up well within it. */
  dedupeTtlSeconds?: number;
  now?: number;
  /** Prepended to the stream and dedupe keys; tests use it to share one Redis. */
  keyPrefix?: string;
}

export interface IngestResult {
  accepted: StoredEvent[];
  duplicates: number;
  sampledOut: number;
  rejected: RejectedEvent[];
  /** Accepted or sampled-out, not duplicate: the events the user's feed must respect now. */
  suppressing: ClientEvent[];
}

const DEFAULT_MAX_LEN = 1_000_000;
const DEFAULT_DEDUPE_TTL_S = 3_600;
/**
 * How far past the catalog's duration a watch, position or player duration may go: players
 * report time in steps of up to a second, and a report can straddle the loop back to the start.
 */
export const DURATION_SLACK_MS = 2_000;
/**
 * Events one user may add to one video per window. A person watching a 3-second loop for half an
 * hour replays it some 600 times, but 200 events say all a ranker can learn from one viewer and
 * one video, and bound what one account adds to its counters.
 */
export const VIDEO_BUDGET_EVENTS = 200;
export const VIDEO_BUDGET_WINDOW_S = 30 * 60;

function rejection(index: number, issues: readonly v.BaseIssue<unknown>[]): RejectedEvent {
  const issue = issues[0];
  return {
    index,
    field: (issue && v.getDotPath(issue)) || "",
    reason: issue?.message ?? "invalid event",
  };
}

// Decided by a hash of (user, event id), not by chance, so a retried event meets the same
// fate and the duplicate check stays meaningful.
function keptBySampling(source: EventSource, event: ClientEvent, rate: number): boolean {
  return hash32(`${source.userId}:${event.id}`) / 0x1_0000_0000 < rate;
}

/**
 * The signal path's edge half: validates each event on its own, sheds low-value events by
 * sampling, then, in one round trip, rejects events of videos that are not live or with times
 * past the video's end, drops retries and likes/follows that change nothing, and appends the rest
 * to the user's partition.
 */
export async function ingestBatch(
  redis: Redis,
  source: EventSource,
  events: readonly unknown[],
  options: IngestOptions,
): Promise<IngestResult> {
  const now = options.now ?? Date.now();
  const weight = 1 / options.sampleRate;
  const rejected: RejectedEvent[] = [];
  const kept: StoredEvent[] = [];
  const keptAt: number[] = [];
  const sampledOutEvents: ClientEvent[] = [];
  events.forEach((raw, index) => {
    const parsed = v.safeParse(ClientEventSchema, raw);
    if (!parsed.success) {
      rejected.push(rejection(index, parsed.issues));
      return;
    }
    const event = parsed.output;
    const lowValue = isLowValue(event);
    if (lowValue && !keptBySampling(source, event, options.sampleRate)) {
      sampledOutEvents.push(event);
      return;
    }
    keptAt.push(index);
    kept.push({
      event,
      user_id: source.userId,
      session_id: source.sessionId,
      region: source.region,
      received_at: now,
      weight: lowValue ? weight : 1,
    });
  });
  const results = kept.length === 0 ? [] : await append(redis, source, kept, options);
  const accepted: StoredEvent[] = [];
  let duplicates = 0;
  kept.forEach((stored, i) => {
    const code = results[2 * i];
    if (code === APPEND_RESULT.appended) accepted.push(stored);
    else if (code === APPEND_RESULT.duplicate || code === APPEND_RESULT.unchanged) duplicates++;
    else rejected.push(catalogRejection(keptAt[i]!, stored.event, code, results[2 * i + 1]));
  });
  rejected.sort((a, b) => a.index - b.index);
  return {
    accepted,
    duplicates,
    sampledOut: sampledOutEvents.length,
    rejected,
    suppressing: [...accepted.map((stored) => stored.event), ...sampledOutEvents].filter(
      isSuppressing,
    ),
  };
}

/**
 * Why the script refused an event: the video is not live, a time runs past its end, or the user
 * spent their budget for the video.
 */
function catalogRejection(
  index: number,
  event: ClientEvent,
  code: number | undefined,
  bound: number | undefined,
): RejectedEvent {
  if (code === APPEND_RESULT.overBudget) {
    return {
      index,
      field: "video_id",
      reason: `more than ${VIDEO_BUDGET_EVENTS} events for video ${event.video_id} in ${VIDEO_BUDGET_WINDOW_S / 60} minutes`,
    };
  }
  if (code === APPEND_RESULT.tooLong) {
    const field = timeFields(event).find(([, ms]) => ms > (bound ?? 0))?.[0] ?? "watch_ms";
    return {
      index,
      field,
      reason: `must be ≤ ${bound} (the video's duration plus ${DURATION_SLACK_MS} ms)`,
    };
  }
  return { index, field: "video_id", reason: `video ${event.video_id} is not live` };
}

function timeFields(event: ClientEvent): [string, number][] {
  if (event.type === "progress") {
    return [
      ["watch_ms", event.watch_ms],
      ["position_ms", event.position_ms],
      ["duration_ms", event.duration_ms],
    ];
  }
  if (event.type === "skip" && event.watch_ms !== undefined) return [["watch_ms", event.watch_ms]];
  return [];
}

/** The like/follow state an event changes, for the script's count-once check. */
function stateChange(event: ClientEvent): [op: string, member: string] {
  switch (event.type) {
    case "like":
    case "unlike":
      return [event.type, event.video_id];
    case "follow":
    case "unfollow":
      return [event.type, event.creator_id];
    default:
      return ["-", ""];
  }
}

async function append(
  redis: Redis,
  source: EventSource,
  kept: StoredEvent[],
  options: IngestOptions,
): Promise<number[]> {
  const prefix = options.keyPrefix ?? "";
  const stream = prefix + EventKeys.stream(partitionOf(source.userId, options.partitions));
  const keys = [
    stream,
    prefix + EventKeys.likes(source.userId),
    prefix + EventKeys.follows(source.userId),
    ...kept.flatMap((s) => [
      prefix + EventKeys.dedupe(source.userId, s.event.id),
      prefix + CatalogKeys.video(s.event.video_id),
      prefix + EventKeys.videoBudget(source.userId, s.event.video_id),
    ]),
  ];
  const args = [
    String(options.maxLen ?? DEFAULT_MAX_LEN),
    String(options.dedupeTtlSeconds ?? DEFAULT_DEDUPE_TTL_S),
    String(DURATION_SLACK_MS),
    String(VIDEO_BUDGET_EVENTS),
    String(VIDEO_BUDGET_WINDOW_S),
    ...kept.flatMap((stored) => [
      ...stateChange(stored.event),
      String(Math.max(-1, ...timeFields(stored.event).map(([, ms]) => ms))),
      JSON.stringify(stored),
    ]),
  ];
  return redis.createScript<number[]>(APPEND_EVENTS_LUA).exec(keys, args);
}
