import type { Redis } from "ioredis";
import * as v from "valibot";
import { CatalogKeys } from "../../../contracts/keyspace";
import { UploadEventSchema } from "../../../contracts/upload.schema";
import { contentEmbedding, decodeEmbedding, EMBEDDING_DIM } from "../../catalog/content.embedding";

/** What ranking needs of a live video; `item` is its dense index in the models. */
export interface VideoMeta {
  videoId: string;
  item: number;
  creatorId: string;
  audioId: string;
  hashtags: readonly string[];
  createdAt: number;
  content: Float32Array;
}

/**
 * The model vocabulary (video id ↔ dense item) and the metadata of live videos. Items are never
 * reused: a checkpoint's item numbers stay valid for every later version.
 */
export class VideoCatalog {
  readonly ids: string[] = [];
  private readonly items = new Map<string, number>();
  private readonly meta = new Map<number, VideoMeta>();
  private readonly creators = new Map<string, number[]>();

  constructor(ids: readonly string[] = []) {
    for (const id of ids) this.itemOf(id);
  }

  get size(): number {
    return this.ids.length;
  }

  /** The item of a video id, allocating the next one for a new id. */
  itemOf(videoId: string): number {
    let item = this.items.get(videoId);
    if (item === undefined) {
      item = this.ids.length;
      this.ids.push(videoId);
      this.items.set(videoId, item);
    }
    return item;
  }

  lookup(videoId: string): number | undefined {
    return this.items.get(videoId);
  }

  get(item: number): VideoMeta | undefined {
    return this.meta.get(item);
  }

  live(): IterableIterator<VideoMeta> {
    return this.meta.values();
  }

  /** A creator's live videos, newest first. */
  byCreator(creatorId: string): readonly number[] {
    return this.creators.get(creatorId) ?? [];
  }

  set(meta: VideoMeta): void {
    const known = this.meta.has(meta.item);
    this.meta.set(meta.item, meta);
    if (known) return;
    const list = this.creators.get(meta.creatorId) ?? [];
    list.unshift(meta.item);
    this.creators.set(meta.creatorId, list);
  }
}

/**
 * Reads `video:{id}` for each id (one pipeline) and returns the live ones; the stored content
 * embedding is used when present, recomputed from metadata otherwise.
 */
export async function readLiveVideos(
  redis: Redis,
  catalog: VideoCatalog,
  videoIds: readonly string[],
): Promise<VideoMeta[]> {
  if (videoIds.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of videoIds) pipeline.hgetall(CatalogKeys.video(id));
  const replies = (await pipeline.exec()) ?? [];
  const live: VideoMeta[] = [];
  for (const [i, [error, value]] of replies.entries()) {
    const hash = value as Record<string, string> | null;
    const videoId = videoIds[i];
    if (error || !hash || hash.status !== "live" || videoId === undefined) continue;
    const hashtags = parseTags(hash.hashtags);
    const stored = hash.embedding ? decodeEmbedding(hash.embedding) : undefined;
    const content =
      stored?.length === EMBEDDING_DIM
        ? stored
        : contentEmbedding({
            hashtags,
            audio_id: hash.audio_id ?? "",
            creator_id: hash.creator_id ?? "",
            caption: hash.caption ?? "",
            language: hash.language ?? "und",
          });
    const createdAt = Date.parse(hash.created_at ?? "");
    live.push({
      videoId,
      item: catalog.itemOf(videoId),
      creatorId: hash.creator_id ?? "",
      audioId: hash.audio_id ?? "",
      hashtags,
      createdAt: Number.isFinite(createdAt) ? createdAt : Date.now(),
      content,
    });
  }
  return live;
}

function parseTags(raw: string | undefined): string[] {
  try {
    const parsed: unknown = JSON.parse(raw ?? "[]");
    return Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === "string") : [];
  } catch {
    return [];
  }
}

/** Video ids announced on `upload-events` after `after` (exclusive), and the last entry id. */
export async function readUploadEvents(
  redis: Redis,
  stream: string,
  after: string,
  count = 1_000,
): Promise<{ videoIds: string[]; last: string }> {
  const videoIds: string[] = [];
  let last = after;
  for (;;) {
    const entries = await redis.xrange(stream, `(${last}`, "+", "COUNT", count);
    for (const [id, fields] of entries) {
      last = id;
      const record: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2)
        record[fields[i] as string] = fields[i + 1] as string;
      const parsed = v.safeParse(UploadEventSchema, record);
      if (parsed.success) videoIds.push(parsed.output.video_id);
    }
    if (entries.length < count) return { videoIds, last };
  }
}
