import * as v from "valibot";
import { hash32 } from "./hash";
import { RegionSchema, UserIdSchema } from "./session.schema";
import { VideoIdSchema } from "./video.schema";

/** What `POST /v1/events` takes and what the feature processor reads back from `ev:{p}`. */
export const MAX_EVENTS_PER_BATCH = 100;
export const MAX_EVENTS_BODY_BYTES = 64 * 1024;

export const EVENT_TYPES = [
  "impression",
  "play",
  "progress",
  "complete",
  "replay",
  "like",
  "unlike",
  "share",
  "follow",
  "unfollow",
  "comment",
  "skip",
  "not_interested",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** A skip this early is a hard skip: the user rejected the video, not just moved on. */
export const HARD_SKIP_MS = 1_000;
/** A watch shorter than this is low-value and sampled (with a weight) under load. */
export const SUB_SECOND_WATCH_MS = 1_000;

const ClientEventIdSchema = v.pipe(
  v.string("must be a string"),
  v.regex(/^[A-Za-z0-9_.:-]{1,64}$/, "must be 1–64 letters, digits, '_', '.', ':' or '-'"),
);
const RefIdSchema = v.pipe(
  v.string("must be a string"),
  v.regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 letters, digits, '_' or '-'"),
);
// An hour: a single progress report longer than that is a broken client, not a viewer.
const MillisSchema = v.pipe(
  v.number("must be a number"),
  v.integer("must be an integer"),
  v.minValue(0, "must be ≥ 0"),
  v.maxValue(3_600_000, "must be ≤ 3600000"),
);
const EpochMillisSchema = v.pipe(
  v.number("must be a number"),
  v.integer("must be an integer"),
  v.minValue(0, "must be ≥ 0"),
);

/**
 * Fields every event carries. `creator_id` and `audio_id` come from the feed page the client
 * was shown; the processor prefers the catalog and uses these when the catalog has no entry.
 */
const base = {
  id: ClientEventIdSchema,
  video_id: VideoIdSchema,
  ts: EpochMillisSchema,
  creator_id: v.optional(RefIdSchema),
  audio_id: v.optional(RefIdSchema),
};

const simple = <T extends EventType>(type: T) => v.object({ type: v.literal(type), ...base });

export const ClientEventSchema = v.variant(
  "type",
  [
    simple("impression"),
    simple("play"),
    v.object({
      type: v.literal("progress"),
      ...base,
      watch_ms: MillisSchema,
      position_ms: MillisSchema,
      duration_ms: MillisSchema,
    }),
    simple("complete"),
    simple("replay"),
    simple("like"),
    simple("unlike"),
    simple("share"),
    v.object({ type: v.literal("follow"), ...base, creator_id: RefIdSchema }),
    v.object({ type: v.literal("unfollow"), ...base, creator_id: RefIdSchema }),
    simple("comment"),
    v.object({ type: v.literal("skip"), ...base, watch_ms: v.optional(MillisSchema) }),
    simple("not_interested"),
  ],
  `must be one of ${EVENT_TYPES.join(", ")}`,
);

export type ClientEvent = v.InferOutput<typeof ClientEventSchema>;

/** The body of `POST /v1/events`; each element is validated on its own with ClientEventSchema. */
export const EventBatchSchema = v.object({
  events: v.pipe(
    v.array(v.unknown(), "must be an array"),
    v.minLength(1, "must hold at least one event"),
  ),
});

export const RejectedEventSchema = v.object({
  index: v.number(),
  field: v.string(),
  reason: v.string(),
});

/** `202` from `POST /v1/events`. Sampled-out events are valid and deliberately not stored. */
export const EventBatchResponseSchema = v.object({
  accepted: v.number(),
  duplicates: v.number(),
  sampled_out: v.number(),
  rejected: v.array(RejectedEventSchema),
});

export type RejectedEvent = v.InferOutput<typeof RejectedEventSchema>;
export type EventBatchResponse = v.InferOutput<typeof EventBatchResponseSchema>;

/**
 * One stream entry (`e` field of `ev:{p}`): the client's event as validated, plus what the edge
 * knows for sure. `received_at` is the edge's clock, so windows never trust a client's clock;
 * `weight` is 1/sampling rate, so counts stay unbiased when low-value events are shed.
 */
export const StoredEventSchema = v.object({
  event: ClientEventSchema,
  user_id: UserIdSchema,
  session_id: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  region: RegionSchema,
  received_at: EpochMillisSchema,
  // The edge's sampling rate is at least 0.001; a bound keeps every counter delta finite.
  weight: v.pipe(v.number(), v.minValue(1), v.maxValue(1_000)),
});

export type StoredEvent = v.InferOutput<typeof StoredEventSchema>;

/** The field of a stream entry that holds the StoredEvent JSON. */
export const STREAM_FIELD = "e";

/** The partition of a user's events: all of one user's events land on one stream, in order. */
export function partitionOf(userId: string, partitions: number): number {
  return hash32(userId) % partitions;
}

/** Sub-second watches and idle progress: the events kept only at the sampling rate. */
export function isLowValue(event: ClientEvent): boolean {
  if (event.type === "progress") return event.watch_ms < SUB_SECOND_WATCH_MS;
  if (event.type === "skip") return event.watch_ms !== undefined && event.watch_ms < HARD_SKIP_MS;
  return false;
}

/** Events the user's feed must respect on its very next page. */
export function isSuppressing(event: ClientEvent): boolean {
  if (event.type === "not_interested") return true;
  return event.type === "skip" && event.watch_ms !== undefined && event.watch_ms < HARD_SKIP_MS;
}

const ENGAGEMENTS: ReadonlySet<EventType> = new Set<EventType>([
  "complete",
  "replay",
  "like",
  "share",
  "comment",
  "follow",
]);

/**
 * Events that say the user engaged with the video (a play, an impression, a skip or an unfollow
 * does not): the feature store's short-term sequence `recent:{user}` is made of them. The ranker's
 * own sequences leave replays out (origin/ranking/serving/user.signals.ts, isRankerEngagement).
 */
export function isEngagement(type: EventType): boolean {
  return ENGAGEMENTS.has(type);
}
