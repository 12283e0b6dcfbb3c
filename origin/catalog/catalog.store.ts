import type { Redis } from "ioredis";
import * as v from "valibot";
import { CatalogKeys, NEWEST_LIVE_KEPT, UploadStreams } from "../../contracts/keyspace";
import type { UploadEvent } from "../../contracts/upload.schema";
import {
  type Rendition,
  type VideoRecord,
  VideoRecordSchema,
  type VideoStatus,
} from "../../contracts/video.schema";
import { contentEmbedding, encodeEmbedding } from "./content.embedding";

/**
 * A catalog entry plus the pipeline's working fields, all in the hash `video:{id}`:
 * `progress` (0–100), `reason` (why rejected/failed), `sha256`, `original_key`, `attempts`,
 * `embedding` (see content.embedding.ts).
 */
export interface CatalogEntry extends VideoRecord {
  progress: number;
  reason?: string;
  sha256?: string;
  original_key?: string;
  attempts: number;
}

export interface LiveMedia {
  version: number;
  duration_ms: number;
  width: number;
  height: number;
  renditions: Rendition[];
}

/** What an uploader says about a video; the pipeline measures the rest. */
export type UploadedMetadata = Pick<
  VideoRecord,
  "id" | "creator_id" | "caption" | "hashtags" | "audio_id" | "language"
>;

/** The entry of a video whose media does not exist yet: no size, no renditions, version 1. */
export function pendingRecord(
  metadata: UploadedMetadata,
  status: VideoStatus = "uploading",
): VideoRecord {
  return {
    ...metadata,
    duration_ms: 0,
    width: 0,
    height: 0,
    version: 1,
    renditions: [],
    status,
    created_at: new Date().toISOString(),
  };
}

/**
 * How long a rejected or failed video's original is kept before the upload janitor deletes it:
 * a week for the creator to ask why and for an operator to re-run a job after a fix.
 */
export const ORIGINAL_GRACE_MS = 7 * 24 * 3600 * 1000;

export class CatalogStore {
  constructor(
    private readonly redis: Redis,
    private readonly eventsStream: string = UploadStreams.events,
  ) {}

  async create(record: VideoRecord, extra: { original_key?: string } = {}): Promise<void> {
    const tx = this.redis.multi().hset(CatalogKeys.video(record.id), {
      ...toHash(record),
      progress: "0",
      attempts: "0",
      ...extra,
    });
    if (record.status === "uploading") {
      tx.zadd(CatalogKeys.openUploads(), Date.parse(record.created_at), record.id);
    }
    await tx.exec();
  }

  async get(id: string): Promise<CatalogEntry | undefined> {
    const hash = await this.redis.hgetall(CatalogKeys.video(id));
    if (!hash.id) return undefined;
    const record = v.parse(VideoRecordSchema, {
      ...hash,
      hashtags: JSON.parse(hash.hashtags ?? "[]"),
      renditions: JSON.parse(hash.renditions ?? "[]"),
      duration_ms: Number(hash.duration_ms),
      width: Number(hash.width),
      height: Number(hash.height),
      version: Number(hash.version),
    });
    return {
      ...record,
      progress: Number(hash.progress ?? 0),
      attempts: Number(hash.attempts ?? 0),
      ...(hash.reason ? { reason: hash.reason } : {}),
      ...(hash.sha256 ? { sha256: hash.sha256 } : {}),
      ...(hash.original_key ? { original_key: hash.original_key } : {}),
    };
  }

  async setStatus(
    id: string,
    status: VideoStatus,
    fields: { progress?: number; reason?: string } = {},
  ): Promise<void> {
    const update: Record<string, string> = { status };
    if (fields.progress !== undefined) update.progress = String(fields.progress);
    if (fields.reason !== undefined) update.reason = fields.reason;
    const tx = this.redis.multi().hset(CatalogKeys.video(id), update);
    if (status !== "uploading") tx.zrem(CatalogKeys.openUploads(), id);
    if (status === "rejected" || status === "failed") {
      // NX: the grace period runs from the first time the video ended up unusable.
      tx.zadd(CatalogKeys.expiringOriginals(), "NX", Date.now() + ORIGINAL_GRACE_MS, id);
    }
    await tx.exec();
  }

  async setProgress(id: string, percent: number): Promise<void> {
    await this.redis.hset(CatalogKeys.video(id), "progress", String(percent));
  }

  /**
   * Counts one more processing attempt (crashed ones included); returns the new count. A worker
   * stopped on purpose gives its attempt back with `by = -1`.
   */
  async countAttempt(id: string, by = 1): Promise<number> {
    return this.redis.hincrby(CatalogKeys.video(id), "attempts", by);
  }

  /**
   * Claims a digest for a creator's video. Returns the id of the creator's video that already
   * has these bytes, or undefined when this one is the first (SET NX, so two racing identical
   * uploads get one id). Another creator's copy is never returned: the digest is per creator.
   */
  async claimDigest(creatorId: string, sha256: string, id: string): Promise<string | undefined> {
    const key = CatalogKeys.digest(creatorId, sha256);
    const set = await this.redis.set(key, id, "NX");
    await this.redis.hset(CatalogKeys.video(id), "sha256", sha256);
    if (set === "OK") return undefined;
    const owner = await this.redis.get(key);
    return owner && owner !== id ? owner : undefined;
  }

  /** Lets the same bytes be uploaded again, e.g. after the first copy failed to transcode. */
  async releaseDigest(creatorId: string, sha256: string, id: string): Promise<void> {
    const key = CatalogKeys.digest(creatorId, sha256);
    if ((await this.redis.get(key)) === id) await this.redis.del(key);
  }

  async remove(id: string): Promise<void> {
    await this.redis
      .multi()
      .del(CatalogKeys.video(id))
      .zrem(CatalogKeys.newestLive(), id)
      .zrem(CatalogKeys.openUploads(), id)
      .zrem(CatalogKeys.expiringOriginals(), id)
      .exec();
  }

  /**
   * Publishes a video: media fields, `live`, the content embedding, the creator's list, the
   * newest-live set and the `upload-events` message in one MULTI, so no reader sees a live video without its event.
   */
  async markLive(id: string, media: LiveMedia): Promise<UploadEvent> {
    const entry = await this.get(id);
    if (!entry) throw new Error(`video ${id} is not in the catalog`);
    const embedding = encodeEmbedding(contentEmbedding(entry));
    const event: UploadEvent = {
      type: "upload",
      video_id: id,
      creator_id: entry.creator_id,
      version: String(media.version),
      created_at: entry.created_at,
    };
    await this.redis
      .multi()
      .hset(CatalogKeys.video(id), {
        status: "live",
        progress: "100",
        version: String(media.version),
        duration_ms: String(media.duration_ms),
        width: String(media.width),
        height: String(media.height),
        renditions: JSON.stringify(media.renditions),
        embedding,
      })
      .hdel(CatalogKeys.video(id), "reason")
      .lrem(CatalogKeys.creatorVideos(entry.creator_id), 0, id)
      .lpush(CatalogKeys.creatorVideos(entry.creator_id), id)
      .zadd(CatalogKeys.newestLive(), Date.now(), id)
      .zremrangebyrank(CatalogKeys.newestLive(), 0, -(NEWEST_LIVE_KEPT + 1))
      .xadd(this.eventsStream, "*", ...Object.entries(event).flat())
      .exec();
    return event;
  }

  async creatorVideos(creatorId: string): Promise<string[]> {
    return this.redis.lrange(CatalogKeys.creatorVideos(creatorId), 0, -1);
  }
}

function toHash(record: VideoRecord): Record<string, string> {
  return {
    id: record.id,
    creator_id: record.creator_id,
    caption: record.caption,
    hashtags: JSON.stringify(record.hashtags),
    audio_id: record.audio_id,
    language: record.language,
    duration_ms: String(record.duration_ms),
    width: String(record.width),
    height: String(record.height),
    version: String(record.version),
    renditions: JSON.stringify(record.renditions),
    status: record.status,
    created_at: record.created_at,
  };
}
