import * as v from "valibot";
import { VideoIdSchema, VideoStatusSchema } from "./video.schema";

/**
 * What an uploader sends as tus `Upload-Metadata` (each value base64 by the tus protocol):
 * `caption`, `hashtags` (comma- or space-separated, `#` optional), `audio_id`, `language`.
 * The creator is never metadata: the edge forwards the session's user.
 */
export const UploadMetadataSchema = v.object({
  caption: v.optional(v.pipe(v.string(), v.maxLength(2200, "must be at most 2200 characters")), ""),
  hashtags: v.optional(
    v.pipe(
      v.string(),
      v.transform((raw) =>
        raw
          .split(/[\s,]+/)
          .map((tag) => tag.replace(/^#/, "").toLowerCase())
          .filter((tag) => tag.length > 0),
      ),
      v.maxLength(30, "must list at most 30 hashtags"),
      v.check(
        (tags) => tags.every((tag) => /^[\p{L}\p{N}_]{1,100}$/u.test(tag)),
        "must be letters, digits or '_' each",
      ),
    ),
    "",
  ),
  audio_id: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[A-Za-z0-9_-]{0,64}$/, "must be 0–64 letters, digits, '_' or '-'"),
    ),
    "",
  ),
  language: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/, "must look like `en` or `pt-BR`"),
    ),
    "und",
  ),
});

export type UploadMetadata = v.InferOutput<typeof UploadMetadataSchema>;

/** `GET /v1/uploads/{id}/status`: where an upload is in the pipeline. */
export const UploadStatusSchema = v.object({
  id: VideoIdSchema,
  status: VideoStatusSchema,
  /** 0–100 while transcoding. */
  progress: v.number(),
  /** Why a video was rejected or failed, for people. */
  reason: v.optional(v.string()),
});

export type UploadStatus = v.InferOutput<typeof UploadStatusSchema>;

/** A message on the `uploads` stream: one original waiting to be probed and transcoded. */
export const TranscodeJobSchema = v.object({
  video_id: VideoIdSchema,
  original_key: v.string(),
});

export type TranscodeJob = v.InferOutput<typeof TranscodeJobSchema>;

/** A message on `upload-events` when a video goes live: retrieval indexes it from here. */
export const UploadEventSchema = v.object({
  type: v.literal("upload"),
  video_id: VideoIdSchema,
  creator_id: v.string(),
  version: v.string(),
  created_at: v.string(),
});

export type UploadEvent = v.InferOutput<typeof UploadEventSchema>;

/**
 * Headers of the edge's upload proxy to the origin. The shared secret (INTERNAL_AUTH_HEADER, as on
 * every internal call) proves the caller is our edge; the user header is then trusted as the
 * session's verified user.
 */
export const InternalHeaders = {
  userId: "x-edgefeed-user-id",
  /** The public URL prefix the client uses for uploads, so tus `Location` points at the edge. */
  uploadBase: "x-edgefeed-upload-base",
} as const;

/** Set on the final PATCH and on status replies: the catalog id of the upload's video. */
export const VIDEO_ID_HEADER = "edgefeed-video-id";
