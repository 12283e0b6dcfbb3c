import { env } from "cloudflare:test";
import { CatalogKeys } from "../../contracts/keyspace";
import { redisFromEnv } from "../../worker-lib/redis.client";

/** Test helpers for Worker code against the run's real Redis: the client, and catalog seeding. */

export const redis = redisFromEnv(env);

/** A URL nothing listens on: a stopped Redis or origin. */
export const DEAD_URL = "http://127.0.0.1:9";

export interface SeedOptions {
  creator?: (i: number) => string;
  audio?: (i: number) => string;
}

/** Writes `n` live catalog entries `{prefix}-{i}` and returns their ids. */
export async function seedVideos(prefix: string, n: number, options: SeedOptions = {}) {
  return seedCatalog(
    Array.from({ length: n }, (_, i) => `${prefix}-${i}`),
    options,
  );
}

/** Writes a live catalog entry (version 1) for each id and returns the ids. */
export async function seedCatalog(ids: string[], options: SeedOptions = {}) {
  const prefix = ids[0]?.replace(/-[0-9]+$/, "") ?? "";
  const n = ids.length;
  for (let start = 0; start < n; start += 500) {
    const pipeline = redis.pipeline();
    for (const [offset, id] of ids.slice(start, start + 500).entries()) {
      const i = start + offset;
      pipeline.hset(CatalogKeys.video(id), {
        id,
        creator_id: options.creator?.(i) ?? `creator-${prefix}-${i % 50}`,
        caption: `video ${i}`,
        hashtags: JSON.stringify(["edge", `tag${i % 7}`]),
        audio_id: options.audio?.(i) ?? `audio-${i % 30}`,
        language: "en",
        duration_ms: 15_000 + i,
        width: 720,
        height: 1280,
        version: 1,
        renditions: JSON.stringify([{ name: "240p", width: 136, height: 240, bandwidth: 400_000 }]),
        status: "live",
        created_at: new Date().toISOString(),
      });
    }
    await pipeline.exec();
  }
  return ids;
}

/** Puts ids into a sorted set, first id highest. */
export async function rank(key: string, ids: readonly string[]): Promise<void> {
  for (let start = 0; start < ids.length; start += 500) {
    const members = ids
      .slice(start, start + 500)
      .map((member, i) => ({ score: ids.length - (start + i), member }));
    const [first, ...rest] = members;
    if (first) await redis.zadd(key, first, ...rest);
  }
}
