import * as v from "valibot";
import { RegionSchema, UserIdSchema } from "./session.schema";
import { VideoIdSchema } from "./video.schema";

/**
 * Which rail or fallback put a video on the page: the ranker's rails for ranked candidates;
 * `fallback` for regional trending served in their place, and `exploration` for the fallback's
 * exploration slots.
 */
export const FeedReasonSchema = v.picklist([
  "ann",
  "social",
  "trending",
  "exploration",
  "fresh",
  "fallback",
]);

/** Why a page was (partly) filled from the fallback instead of the user's ranked candidates. */
export const FallbackCauseSchema = v.picklist([
  "fyp_empty",
  "redis_unreachable",
  "user_feed_unavailable",
]);

export const FeedItemSchema = v.object({
  id: VideoIdSchema,
  manifest_url: v.string(),
  poster_url: v.string(),
  duration_ms: v.pipe(v.number(), v.integer(), v.minValue(0)),
  creator_id: v.string(),
  hashtags: v.array(v.string()),
  audio_id: v.string(),
  reason: FeedReasonSchema,
});

/** `GET /v1/feed` response. `fallback` is null when every video came from ranked candidates. */
export const FeedPageSchema = v.object({
  items: v.array(FeedItemSchema),
  next_cursor: v.string(),
  fallback: v.nullable(FallbackCauseSchema),
});

export const FEED_PAGE_MIN = 5;
export const FEED_PAGE_MAX = 10;
export const FEED_PAGE_DEFAULT = 8;

/** `GET /v1/feed?cursor=&limit=`: query values arrive as strings. */
export const FeedQuerySchema = v.object({
  cursor: v.optional(
    v.pipe(
      v.string(),
      v.maxLength(512, "must be at most 512 characters"),
      v.regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, "must be a cursor returned as next_cursor"),
    ),
  ),
  limit: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[0-9]{1,2}$/, `must be an integer from ${FEED_PAGE_MIN} to ${FEED_PAGE_MAX}`),
      v.transform(Number),
      v.minValue(FEED_PAGE_MIN, `must be an integer from ${FEED_PAGE_MIN} to ${FEED_PAGE_MAX}`),
      v.maxValue(FEED_PAGE_MAX, `must be an integer from ${FEED_PAGE_MIN} to ${FEED_PAGE_MAX}`),
    ),
  ),
});

/** An A/B arm name, recorded on each impression; `control` when no arm claims the user. */
export const ArmSchema = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9_-]{1,32}$/, "must be an arm name"),
);
export const CONTROL_ARM = "control";

/**
 * Members of `fyp:{user}` (score = rank, highest first) are `{video_id}:{rail}:{arm}`, so the
 * ranker can say which rail produced a candidate and which experiment arm ranked it; a bare id
 * counts as `ann`, a missing arm as `control`.
 */
export function encodeForYouMember(
  videoId: string,
  rail: FeedReason = "ann",
  arm: string = CONTROL_ARM,
): string {
  return `${videoId}:${rail}:${arm}`;
}

export function parseForYouMember(
  member: string,
): { id: string; reason: FeedReason; arm: string } | null {
  const [id = "", rail = "ann", arm = CONTROL_ARM, ...rest] = member.split(":");
  if (rest.length > 0 || !v.is(VideoIdSchema, id) || !v.is(FeedReasonSchema, rail)) return null;
  if (!v.is(ArmSchema, arm)) return null;
  return { id, reason: rail, arm };
}

/**
 * `POST /internal/feed/refresh` on the origin: re-rank this user's `fyp:{user}` soon. The user and
 * region become Redis key names and members (`ranker:coalesce:{user}`, `ranker:regions`), so they
 * are held to the session's own grammar.
 */
export const FeedRefreshRequestSchema = v.object({
  user_id: UserIdSchema,
  region: RegionSchema,
  cause: FallbackCauseSchema,
});

/** What the signal path asks the user's feed to skip from now on (`not_interested`, hard skip). */
export const SuppressRequestSchema = v.object({
  creator_id: v.optional(v.string()),
  audio_id: v.optional(v.string()),
  video_id: v.optional(v.string()),
});

export type FeedReason = v.InferOutput<typeof FeedReasonSchema>;
export type FallbackCause = v.InferOutput<typeof FallbackCauseSchema>;
export type FeedItem = v.InferOutput<typeof FeedItemSchema>;
export type FeedPage = v.InferOutput<typeof FeedPageSchema>;
export type FeedQuery = v.InferOutput<typeof FeedQuerySchema>;
export type FeedRefreshRequest = v.InferOutput<typeof FeedRefreshRequestSchema>;
export type SuppressRequest = v.InferOutput<typeof SuppressRequestSchema>;
