import * as v from "valibot";
import { ArmSchema, FeedReasonSchema } from "./feed.schema";
import { RegionSchema, UserIdSchema } from "./session.schema";
import { VideoIdSchema } from "./video.schema";

export const RANK_LIMIT_MAX = 200;
export const RANK_LIMIT_DEFAULT = 50;

/**
 * `POST /v1/rank` (internal, shared secret): rank now for one user. `recent` are the videos the
 * user just watched, oldest first (the short-term sequence); `exclude` are videos not to return.
 */
export const RankRequestSchema = v.object({
  user_id: UserIdSchema,
  region: RegionSchema,
  limit: v.optional(
    v.pipe(
      v.number("must be a number"),
      v.integer("must be an integer"),
      v.minValue(1, `must be from 1 to ${RANK_LIMIT_MAX}`),
      v.maxValue(RANK_LIMIT_MAX, `must be from 1 to ${RANK_LIMIT_MAX}`),
    ),
    RANK_LIMIT_DEFAULT,
  ),
  recent: v.optional(
    v.pipe(v.array(VideoIdSchema, "must be an array"), v.maxLength(50, "must list at most 50")),
    [],
  ),
  exclude: v.optional(
    v.pipe(v.array(VideoIdSchema, "must be an array"), v.maxLength(2000, "must list at most 2000")),
    [],
  ),
});

/** How the answer was produced: both stages, stage 1 only (overloaded), or regional trending. */
export const RankModeSchema = v.picklist(["full", "stage1", "trending"]);

export const RankResponseSchema = v.object({
  user_id: v.string(),
  mode: RankModeSchema,
  /** The checkpoint version served (0: built from the catalog, no checkpoint yet). */
  model_version: v.number(),
  /** The user's A/B arm: the config the items were ranked with, to record on each impression. */
  arm: ArmSchema,
  items: v.array(v.object({ video_id: VideoIdSchema, reason: FeedReasonSchema })),
  took_ms: v.number(),
});

/** `202` from `POST /internal/feed/refresh`. `queued` is false when coalesced into a pending one. */
export const FeedRefreshResponseSchema = v.object({
  user_id: v.string(),
  queued: v.boolean(),
});

export type RankRequest = v.InferOutput<typeof RankRequestSchema>;
export type RankMode = v.InferOutput<typeof RankModeSchema>;
export type RankResponse = v.InferOutput<typeof RankResponseSchema>;
export type FeedRefreshResponse = v.InferOutput<typeof FeedRefreshResponseSchema>;
