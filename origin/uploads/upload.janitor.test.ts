import { ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { INTERNAL_AUTH_HEADER } from "../../contracts/internal-auth";
import { CatalogKeys, OriginalKeys } from "../../contracts/keyspace";
import { InternalHeaders } from "../../contracts/upload.schema";
import { type RunningOrigin, startOrigin } from "../api/origin.server";
import { CatalogStore, ORIGINAL_GRACE_MS, pendingRecord } from "../catalog/catalog.store";
import { testOriginConfig, testS3Config } from "../dev/test-s3";
import { createS3Client } from "../storage/s3.client";
import { createUpload, patchChunk } from "./tus.client";
import { sweepUploads, UPLOAD_DEADLINE_MS } from "./upload.janitor";

const SECRET = "test-origin-secret";
const HOUR_MS = 3_600_000;
const s3Config = testS3Config();
const bucket = inject("s3Bucket");
const s3 = createS3Client(s3Config);
const redis = new Redis(inject("redisUrl"));
const catalog = new CatalogStore(redis);
let origin: RunningOrigin;

beforeAll(async () => {
  origin = await startOrigin(
    testOriginConfig(SECRET, {
      uploadMaxBytes: 4 * 1024 * 1024,
      transcodeStream: `janitor-test-${Date.now()}`,
      maxAttempts: 1,
    }),
    0,
  );
});
afterAll(async () => {
  await origin?.stop();
  redis.disconnect();
  s3.destroy();
});

async function objectsOf(videoId: string): Promise<string[]> {
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: OriginalKeys.original(videoId) }),
  );
  return (listed.Contents ?? []).map((o) => o.Key ?? "");
}

/**
 * Other test files share this Redis and bucket, so every sweep here runs at the real time: the
 * uploads and videos under test are made old by moving their scores back, never the clock forward.
 */
const sweep = () => sweepUploads({ redis, s3, bucket });
const age = (key: string, id: string, ms: number) => redis.zadd(key, "XX", Date.now() - ms, id);

describe("upload janitor", () => {
  it("fails an upload abandoned past the deadline, then deletes its bytes after the grace period", async () => {
    const tus = {
      endpoint: `${origin.url}/uploads`,
      headers: { [INTERNAL_AUTH_HEADER]: SECRET, [InternalHeaders.userId]: "creator-janitor" },
    };
    const { url, videoId } = await createUpload(tus, 1_000_000, { caption: "never finished" });
    await patchChunk(tus, url, 0, new Uint8Array(40_000).fill(7));
    expect(await objectsOf(videoId)).not.toEqual([]);

    await sweep();
    expect((await catalog.get(videoId))?.status).toBe("uploading");

    await age(CatalogKeys.openUploads(), videoId, UPLOAD_DEADLINE_MS + HOUR_MS);
    expect((await sweep()).abandoned).toBeGreaterThanOrEqual(1);
    expect(await catalog.get(videoId)).toMatchObject({
      status: "failed",
      reason: "the upload was not finished within 24 hours",
    });
    // The creator can still ask why for the grace period: the bytes stay until then.
    const graceEnds = Number(await redis.zscore(CatalogKeys.expiringOriginals(), videoId));
    expect(graceEnds).toBeGreaterThan(Date.now() + ORIGINAL_GRACE_MS - 60_000);
    expect(await objectsOf(videoId)).not.toEqual([]);
    expect(await redis.zscore(CatalogKeys.openUploads(), videoId)).toBeNull();

    await age(CatalogKeys.expiringOriginals(), videoId, 1);
    expect((await sweep()).deleted).toBeGreaterThanOrEqual(1);
    expect(await objectsOf(videoId)).toEqual([]);
    expect((await catalog.get(videoId))?.original_key).toBeUndefined();
    expect(await redis.zscore(CatalogKeys.expiringOriginals(), videoId)).toBeNull();
  });

  it("deletes a rejected original after its grace period and never touches a live one", async () => {
    const ids = { rejected: `jan-rej-${Date.now()}`, live: `jan-live-${Date.now()}` };
    for (const id of Object.values(ids)) {
      const key = OriginalKeys.original(id);
      await catalog.create(
        pendingRecord({
          id,
          creator_id: "creator-janitor",
          caption: "",
          hashtags: [],
          audio_id: "",
          language: "en",
        }),
        { original_key: key },
      );
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "original bytes" }));
      await catalog.setStatus(id, "processing");
    }
    await catalog.setStatus(ids.rejected, "rejected", { reason: "the file has no video track" });
    await catalog.setStatus(ids.live, "live");
    expect(await redis.zscore(CatalogKeys.expiringOriginals(), ids.live)).toBeNull();

    await sweep();
    expect(await objectsOf(ids.rejected)).toHaveLength(1);

    await age(CatalogKeys.expiringOriginals(), ids.rejected, 1);
    await sweep();
    expect(await objectsOf(ids.rejected)).toEqual([]);
    expect((await catalog.get(ids.rejected))?.reason).toBe("the file has no video track");
    expect(await objectsOf(ids.live)).toEqual([OriginalKeys.original(ids.live)]);
  });
});
