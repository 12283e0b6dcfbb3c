import * as v from "valibot";

export const VideoIdSchema = v.pipe(
  v.string("must be a string"),
  v.regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 letters, digits, '_' or '-'"),
);

export const VideoStatusSchema = v.picklist([
  "uploading",
  "processing",
  "live",
  "rejected",
  "failed",
]);

export const RenditionSchema = v.object({
  /** The rung's folder under the version prefix, e.g. `240p`. */
  name: v.pipe(v.string(), v.regex(/^[0-9]{3,4}p$/)),
  width: v.pipe(v.number(), v.integer(), v.minValue(1)),
  height: v.pipe(v.number(), v.integer(), v.minValue(1)),
  bandwidth: v.pipe(v.number(), v.integer(), v.minValue(1)),
});

/**
 * A catalog entry, stored as the Redis hash `video:{id}` (arrays as JSON strings). `version` is
 * the `v{n}` of its immutable media keys: a re-encode bumps it instead of overwriting objects.
 */
export const VideoRecordSchema = v.object({
  id: VideoIdSchema,
  creator_id: v.string(),
  caption: v.string(),
  hashtags: v.array(v.string()),
  audio_id: v.string(),
  language: v.string(),
  duration_ms: v.pipe(v.number(), v.integer(), v.minValue(0)),
  width: v.pipe(v.number(), v.integer(), v.minValue(0)),
  height: v.pipe(v.number(), v.integer(), v.minValue(0)),
  version: v.pipe(v.number(), v.integer(), v.minValue(1)),
  renditions: v.array(RenditionSchema),
  status: VideoStatusSchema,
  created_at: v.pipe(v.string(), v.isoTimestamp()),
});

export type VideoId = v.InferOutput<typeof VideoIdSchema>;
export type VideoStatus = v.InferOutput<typeof VideoStatusSchema>;
export type Rendition = v.InferOutput<typeof RenditionSchema>;
export type VideoRecord = v.InferOutput<typeof VideoRecordSchema>;
