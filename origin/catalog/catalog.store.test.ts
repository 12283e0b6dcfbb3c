import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { CatalogKeys } from "../../contracts/keyspace";
import type { VideoRecord } from "../../contracts/video.schema";
import { CatalogStore, pendingRecord } from "./catalog.store";
import { decodeEmbedding } from "./content.embedding";

const redis = new Redis(inject("redisUrl"));
afterAll(() => redis.disconnect());

function record(id: string, creator: string): VideoRecord {
  return pendingRecord({
    id,
    creator_id: creator,
    caption: "hello world",
    hashtags: ["a", "b"],
    audio_id: "song",
    language: "en",
  });
}

describe("catalog store", () => {
  it("walks a video from uploading to live with its creator list, embedding and event", async () => {
    const events = `upload-events-${randomUUID()}`;
    const catalog = new CatalogStore(redis, events);
    const id = `v-${randomUUID().slice(0, 8)}`;
    const creator = `c-${randomUUID().slice(0, 8)}`;
    await catalog.create(record(id, creator), { original_key: `originals/${id}` });
    expect(await catalog.get(id)).toMatchObject({ status: "uploading", progress: 0, attempts: 0 });

    await catalog.setStatus(id, "processing", { progress: 0 });
    await catalog.setProgress(id, 42);
    expect(await catalog.get(id)).toMatchObject({ status: "processing", progress: 42 });

    const renditions = [{ name: "240p", width: 426, height: 240, bandwidth: 500_000 }];
    await catalog.markLive(id, {
      version: 1,
      duration_ms: 5000,
      width: 426,
      height: 240,
      renditions,
    });
    const live = await catalog.get(id);
    expect(live).toMatchObject({ status: "live", progress: 100, duration_ms: 5000, renditions });
    expect(await catalog.creatorVideos(creator)).toEqual([id]);
    // Among the newest live videos, the fallback's last resort (shared by the run: by score).
    const wentLive = Number(await redis.zscore(CatalogKeys.newestLive(), id));
    expect(Math.abs(Date.now() - wentLive)).toBeLessThan(60_000);
    const embedding = await redis.hget(CatalogKeys.video(id), "embedding");
    expect(decodeEmbedding(embedding ?? "")).toHaveLength(64);
    const published = await redis.xrange(events, "-", "+");
    expect(published).toHaveLength(1);
    expect(published[0]?.[1]).toEqual([
      "type",
      "upload",
      "video_id",
      id,
      "creator_id",
      creator,
      "version",
      "1",
      "created_at",
      live?.created_at,
    ]);
    await catalog.remove(id);
    expect(await redis.zscore(CatalogKeys.newestLive(), id)).toBeNull();
  });

  it("gives a creator's digest to their first video only, never another creator's, and frees it", async () => {
    const catalog = new CatalogStore(redis);
    const digest = randomUUID();
    expect(await catalog.claimDigest("c1", digest, "first")).toBeUndefined();
    expect(await catalog.claimDigest("c1", digest, "second")).toBe("first");
    expect(await catalog.claimDigest("c2", digest, "theirs")).toBeUndefined();
    await catalog.releaseDigest("c1", digest, "first");
    expect(await catalog.claimDigest("c1", digest, "third")).toBeUndefined();
  });

  it("reports an unknown id as undefined", async () => {
    expect(await new CatalogStore(redis).get(`none-${randomUUID()}`)).toBeUndefined();
  });
});
