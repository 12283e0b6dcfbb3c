import type { S3Client } from "@aws-sdk/client-s3";
import { Redis } from "ioredis";
import { afterAll, inject } from "vitest";
import { partitionOf, STREAM_FIELD, type StoredEvent } from "../../../contracts/event.schema";
import { CatalogStore } from "../../../origin/catalog/catalog.store";
import { testS3Config } from "../../../origin/dev/test-s3";
import {
  DEFAULT_RANKER_SERVICE,
  type RankerServiceOptions,
} from "../../../origin/ranking/config/ranker.options";
import { RankerService } from "../../../origin/ranking/ranker.service";
import { createS3Client } from "../../../origin/storage/s3.client";
import { loadHnswModule } from "../../../wasm/hnsw.node.js";

export const TEST_PARTITIONS = 2;

/**
 * `perCreator` live videos for each creator through the real catalog path (markLive writes the
 * hash, the content embedding and `upload-events`); created times interleave the creators.
 */
export async function seedCatalog(
  redis: Redis,
  prefix: string,
  creators: readonly string[],
  perCreator: number,
  now = Date.now(),
): Promise<void> {
  const store = new CatalogStore(redis, `${prefix}upload-events`);
  for (let n = 0; n < perCreator; n++) {
    for (const [c, creator] of creators.entries()) {
      const id = `${prefix}${creator}-${n}`;
      await store.create({
        id,
        creator_id: `${prefix}${creator}`,
        caption: `clip ${n} by ${creator}`,
        hashtags: [`tag${creator}`],
        audio_id: `${prefix}sound${creator}`,
        language: "en",
        duration_ms: 10_000,
        width: 720,
        height: 1280,
        version: 1,
        renditions: [],
        status: "processing",
        created_at: new Date(now - (n * creators.length + c) * 60_000).toISOString(),
      });
      await store.markLive(id, {
        version: 1,
        duration_ms: 10_000,
        width: 720,
        height: 1280,
        renditions: [],
      });
    }
  }
}

export function rankerService(
  redisUrl: string,
  s3: S3Client,
  bucket: string,
  prefix: string,
  overrides: Partial<RankerServiceOptions> = {},
): RankerService {
  return new RankerService({
    ...DEFAULT_RANKER_SERVICE,
    redisUrl,
    s3,
    bucket,
    module: loadHnswModule(),
    keyPrefix: prefix,
    partitions: TEST_PARTITIONS,
    uploadStream: `${prefix}upload-events`,
    checkpointPrefix: `${prefix}models/ranker/`,
    tickMs: 100,
    explore: { ...DEFAULT_RANKER_SERVICE.explore, regions: ["eu"] },
    ...overrides,
  });
}

/**
 * One test file's clients for the run's Redis and S3 server, and ranker roles started on them.
 * Everything started, and whatever `onStop` was given, stops after the file, newest first.
 */
export function rankerTestRig() {
  const redisUrl = inject("redisUrl");
  const redis = new Redis(redisUrl);
  const bucket = inject("s3Bucket");
  const s3 = createS3Client(testS3Config());
  const stops: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    redis.disconnect();
    s3.destroy();
  });
  return {
    redisUrl,
    redis,
    bucket,
    s3,
    onStop(stop: () => Promise<void> | void): void {
      stops.push(stop);
    },
    /** A started ranker role with the test defaults (rankerService) and `overrides`. */
    async started(prefix: string, overrides: Partial<RankerServiceOptions> = {}) {
      const service = rankerService(redisUrl, s3, bucket, prefix, overrides);
      await service.start();
      stops.push(() => service.stop());
      return service;
    },
  };
}

let seq = 0;

export function stored(
  userId: string,
  region: string,
  type: StoredEvent["event"]["type"],
  videoId: string,
  extra: Record<string, unknown> = {},
): StoredEvent {
  return {
    event: {
      id: `e${++seq}`,
      ts: Date.now(),
      type,
      video_id: videoId,
      ...extra,
    } as StoredEvent["event"],
    user_id: userId,
    session_id: `${userId}-s`,
    region,
    received_at: Date.now(),
    weight: 1,
  };
}

export async function appendEvents(redis: Redis, prefix: string, events: StoredEvent[]) {
  const pipeline = redis.pipeline();
  for (const s of events) {
    pipeline.xadd(
      `${prefix}ev:${partitionOf(s.user_id, TEST_PARTITIONS)}`,
      "*",
      STREAM_FIELD,
      JSON.stringify(s),
    );
  }
  await pipeline.exec();
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}
