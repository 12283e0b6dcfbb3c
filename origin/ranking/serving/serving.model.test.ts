import { randomUUID } from "node:crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { encodeVersion1 } from "../../../testing/origin/ranking/model/model.testing";
import { seedCatalog } from "../../../testing/origin/ranking/ranker.testing";
import { loadHnswModule } from "../../../wasm/hnsw.node.js";
import { testS3Config } from "../../dev/test-s3";
import { createS3Client } from "../../storage/s3.client";
import { CheckpointStore, encodeCheckpoint } from "../model/model.checkpoint";
import type { ModelState } from "../model/model.state";
import { ServingModel } from "./serving.model";

const module = loadHnswModule();
const redis = new Redis(inject("redisUrl"));
const bucket = inject("s3Bucket");
const s3 = createS3Client(testS3Config());
const RETRY_MS = 60_000;

afterAll(() => {
  redis.disconnect();
  s3.destroy();
});

const prefixed = () => `sm${randomUUID().slice(0, 8)}-`;
const storeFor = (prefix: string) =>
  new CheckpointStore({ s3, bucket, prefix: `${prefix}models/ranker/` });
const servingFor = (prefix: string) =>
  new ServingModel({
    redis,
    module,
    store: storeFor(prefix),
    uploadStream: `${prefix}upload-events`,
    retryMs: RETRY_MS,
  });

async function put(prefix: string, version: number, bytes: Uint8Array): Promise<void> {
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: storeFor(prefix).key(version), Body: bytes }),
  );
}

/** 24 live videos and a model retrained on sessions over them: what a ranker would checkpoint. */
async function trainedWriter(prefix: string): Promise<ModelState> {
  await seedCatalog(redis, prefix, ["A", "B", "C"], 8);
  const state = await servingFor(prefix).load();
  const sessions = Array.from({ length: 100 }, (_, s) =>
    [s, s * 7 + 3, s * 5 + 1, s * 11 + 2].map((item) => item % 24),
  );
  for (const session of sessions) state.models.coVisitation.observeSequence(session);
  expect(await state.retrain(sessions, 2)).toBe(true);
  return state;
}

/** The ten nearest videos after each of the first eight, as the rails would ask. */
function answers(state: ModelState): number[][] {
  return Array.from({ length: 8 }, (_, item) =>
    state.nearest(state.sequence.userVector([item]), 10, () => true),
  );
}

/** Flips a byte near the end, inside the base index snapshot, so its CRC-32 fails. */
function corruptIndex(bytes: Uint8Array): Uint8Array {
  const corrupt = bytes.slice();
  corrupt[corrupt.length - 40] = (corrupt[corrupt.length - 40] as number) ^ 0xff;
  return corrupt;
}

describe("ServingModel", () => {
  it("loads a v2 checkpoint's base index instead of rebuilding it and answers as the writer did", async () => {
    const prefix = prefixed();
    const writer = await trainedWriter(prefix);
    const version = await storeFor(prefix).save(writer.checkpoint());

    const replica = await servingFor(prefix).load();
    expect(replica.version).toBe(version);
    expect(replica.indexSource).toBe("snapshot");
    expect(answers(replica)).toEqual(answers(writer));
  });

  it("puts videos that went live after the checkpoint into the delta", async () => {
    const prefix = prefixed();
    const writer = await trainedWriter(prefix);
    await storeFor(prefix).save(writer.checkpoint());
    await seedCatalog(redis, prefix, ["D"], 2);

    const replica = await servingFor(prefix).load();
    expect(replica.indexSource).toBe("snapshot");
    expect(replica.indexSize).toBe(26);
    for (const id of [`${prefix}D-0`, `${prefix}D-1`]) {
      const item = replica.catalog.lookup(id) ?? expect.fail(`${id} not in the vocabulary`);
      expect(replica.nearest(replica.sequence.userVector([0]), 1, (i) => i === item)).toEqual([
        item,
      ]);
    }
  });

  it("still loads a version 1 checkpoint, building the index from the model", async () => {
    const prefix = prefixed();
    const writer = await trainedWriter(prefix);
    await put(prefix, 1, encodeVersion1(writer.catalog.ids, writer.models));

    const replica = await servingFor(prefix).load();
    expect(replica.version).toBe(1);
    expect(replica.indexSource).toBe("built");
    expect(answers(replica)).toEqual(answers(writer));
  });

  it("keeps serving the current version when a newer one is corrupt, and tries it again later", async () => {
    const prefix = prefixed();
    const writer = await trainedWriter(prefix);
    const store = storeFor(prefix);
    await store.save(writer.checkpoint());
    const serving = servingFor(prefix);
    const served = await serving.load();
    const before = answers(served);
    const good = encodeCheckpoint(writer.checkpoint());
    await put(prefix, 2, corruptIndex(good));

    const now = Date.now();
    expect(await serving.sync(now)).toBe(false);
    expect(serving.current).toBe(served);
    expect(served.version).toBe(1);
    expect(answers(served)).toEqual(before);

    // Repaired, but not fetched again before the retry interval; new uploads still come in.
    await put(prefix, 2, good);
    await seedCatalog(redis, prefix, ["D"], 1);
    expect(await serving.sync(now + 1_000)).toBe(true);
    expect(serving.current).toBe(served);
    expect(served.indexSize).toBe(25);

    await serving.sync(now + RETRY_MS);
    expect(serving.current?.version).toBe(2);
    expect(serving.current?.indexSource).toBe("snapshot");
    expect(serving.current?.indexSize).toBe(25);
  });

  it("tries an even newer checkpoint at once after a failed one", async () => {
    const prefix = prefixed();
    const writer = await trainedWriter(prefix);
    const store = storeFor(prefix);
    await store.save(writer.checkpoint());
    const serving = servingFor(prefix);
    await serving.load();
    await put(prefix, 2, corruptIndex(encodeCheckpoint(writer.checkpoint())));
    const now = Date.now();
    await serving.sync(now);
    expect(serving.current?.version).toBe(1);

    expect(await store.save(writer.checkpoint())).toBe(3);
    expect(await serving.sync(now + 1_000)).toBe(true);
    expect(serving.current?.version).toBe(3);
  });
});
