import { describe, expect, it } from "vitest";
import { crc32 } from "../crc32";
import { IndexError } from "../errors";
// tsx reads a bare "*.node" specifier as a native addon; the .js suffix resolves to the .ts file.
import { loadHnswModule } from "../hnsw.node.js";
import { HnswIndex } from "../hnsw-index";

const module = loadHnswModule();
const DIM = 8;
const M = 4;
const COUNT = 50;
const HEADER = 64;
const RECORD0 = 4 * (1 + 2 * M) + 4 * DIM + 4;

function snapshot(): Uint8Array {
  const index = HnswIndex.create(module, { dim: DIM, metric: "l2", M, capacity: COUNT });
  for (let i = 0; i < COUNT; i++)
    index.add(
      i,
      Array.from({ length: DIM }, (_, j) => i * j),
    );
  return index.serialize();
}

// Damage that a checksum cannot catch: the writer itself was wrong, or the file was forged.
function forged(edit: (view: DataView) => void): Uint8Array {
  const bytes = snapshot();
  const view = new DataView(bytes.buffer);
  edit(view);
  view.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
  return bytes;
}

const slot0 = HEADER + 4 * COUNT;

describe("HNSW snapshot validation beyond the checksum", () => {
  it.each([
    [
      "a link to a slot that does not exist",
      (v: DataView) => v.setUint32(slot0 + 4, COUNT + 5, true),
    ],
    ["a link count above M_max0", (v: DataView) => v.setUint32(slot0, 2 * M + 1, true)],
    ["a NaN in a vector", (v: DataView) => v.setFloat32(slot0 + 4 * (1 + 2 * M), Number.NaN, true)],
    ["an entry point out of range", (v: DataView) => v.setUint32(32, COUNT, true)],
    ["an unknown metric", (v: DataView) => v.setUint16(6, 7, true)],
    ["M_max0 that is not 2·M", (v: DataView) => v.setUint32(16, 3 * M, true)],
    ["count above capacity", (v: DataView) => v.setUint32(24, COUNT - 1, true)],
    ["a wrong tombstone count", (v: DataView) => v.setUint32(56, 3, true)],
    [
      "a duplicate live label",
      (v: DataView) =>
        v.setUint32(slot0 + RECORD0 - 4, v.getUint32(slot0 + 2 * RECORD0 - 4, true), true),
    ],
  ])("rejects %s", (_, edit) => {
    expect(() => HnswIndex.deserialize(module, forged(edit))).toThrow(
      expect.objectContaining({ code: "INDEX.SNAPSHOT_CORRUPT" }),
    );
  });

  it("rejects every truncation without trapping", () => {
    const bytes = snapshot();
    for (let length = 0; length < bytes.length; length += 97) {
      expect(() => HnswIndex.deserialize(module, bytes.subarray(0, length))).toThrow(IndexError);
    }
  });

  it("loads in a fresh instance to the same answers, and keeps inserting reproducibly", () => {
    const bytes = snapshot();
    const a = HnswIndex.deserialize(module, bytes);
    const b = HnswIndex.deserialize(module, bytes);
    a.resize(COUNT + 10);
    b.resize(COUNT + 10);
    for (let i = COUNT; i < COUNT + 10; i++) {
      const v = Array.from({ length: DIM }, (_, j) => (i * j) % 17);
      a.add(i, v);
      b.add(i, v);
    }
    expect(a.serialize()).toEqual(b.serialize());
  });
});
