import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { encodeVersion1, liveCatalog } from "../../../testing/origin/ranking/model/model.testing";
import { loadHnswModule } from "../../../wasm/hnsw.node.js";
import { HnswIndex } from "../../../wasm/index";
import { testS3Config } from "../../dev/test-s3";
import { createS3Client } from "../../storage/s3.client";
import { CheckpointStore, decodeCheckpoint, encodeCheckpoint } from "./model.checkpoint";
import { CheckpointError } from "./model.codec";
import { ModelState } from "./model.state";
import { VideoCatalog } from "./video.catalog";

const module = loadHnswModule();
const s3 = createS3Client(testS3Config());

afterAll(() => s3.destroy());

function model(): ModelState {
  return ModelState.fresh(module, liveCatalog(new VideoCatalog(), ["A", "B", "C"], 20));
}

/** The base index section is the checkpoint's tail: its last 4 bytes are the snapshot's CRC. */
function withCorruptIndex(bytes: Uint8Array): Uint8Array {
  const corrupt = bytes.slice();
  corrupt[corrupt.length - 40] = (corrupt[corrupt.length - 40] as number) ^ 0xff;
  return corrupt;
}

describe("serving checkpoint, version 2", () => {
  it("carries the base index: decoded, it holds the same videos and re-encodes to the same bytes", () => {
    const state = model();
    const bytes = encodeCheckpoint(state.checkpoint());
    const decoded = decodeCheckpoint(bytes, module);
    expect(decoded.videoIds).toEqual(state.catalog.ids);
    expect(decoded.baseIndex?.labels().sort((a, b) => a - b)).toEqual(
      state.catalog.ids.map((_, item) => item),
    );
    expect(encodeCheckpoint(decoded)).toEqual(bytes);
  });

  it("still reads version 1, which has no index", () => {
    const state = model();
    const decoded = decodeCheckpoint(encodeVersion1(state.catalog.ids, state.models), module);
    expect(decoded.videoIds).toEqual(state.catalog.ids);
    expect(decoded.baseIndex).toBeUndefined();
    expect([...decoded.models.sequence.output]).toEqual([...state.sequence.output]);
  });

  it("rejects a snapshot whose checksum fails with a CheckpointError naming the index", () => {
    const bytes = withCorruptIndex(encodeCheckpoint(model().checkpoint()));
    expect(() => decodeCheckpoint(bytes, module)).toThrow(CheckpointError);
    expect(() => decodeCheckpoint(bytes, module)).toThrow(/base index snapshot: .*checksum/);
  });

  it("rejects an index that does not fit the model: other dimensions, items past the vocabulary", () => {
    const state = model();
    const narrow = HnswIndex.create(module, { dim: 8, metric: "ip" });
    narrow.add(0, new Float32Array(8).fill(0.1));
    expect(() =>
      decodeCheckpoint(encodeCheckpoint({ ...state.checkpoint(), baseIndex: narrow }), module),
    ).toThrow(/ip over 65/);
    const beyond = HnswIndex.create(module, { dim: 65, metric: "ip" });
    beyond.add(state.catalog.size, new Float32Array(65).fill(0.1));
    expect(() =>
      decodeCheckpoint(encodeCheckpoint({ ...state.checkpoint(), baseIndex: beyond }), module),
    ).toThrow(/beyond the 60 videos/);
  });

  it("rejects a truncation, trailing bytes and a future version", () => {
    const bytes = encodeCheckpoint(model().checkpoint());
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    const future = bytes.slice();
    future[4] = 3;
    for (const bad of [bytes.subarray(0, bytes.length - 1), longer, future]) {
      expect(() => decodeCheckpoint(bad, module)).toThrow(CheckpointError);
    }
  });

  it("round-trips through the object store under the next version", async () => {
    const store = new CheckpointStore({
      s3,
      bucket: testS3Config().bucket,
      prefix: `ck${randomUUID().slice(0, 8)}/models/ranker/`,
    });
    const state = model();
    expect(await store.save(state.checkpoint())).toBe(1);
    expect(await store.save(state.checkpoint())).toBe(2);
    const loaded = await store.load(2, module);
    expect(loaded.videoIds).toEqual(state.catalog.ids);
    expect(loaded.baseIndex?.size).toBe(60);
  });
});
