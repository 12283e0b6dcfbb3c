import { describe, expect, it } from "vitest";
import { BruteForceIndex } from "../brute-force-index";
import { IndexError } from "../errors";
// tsx reads a bare "*.node" specifier as a native addon; the .js suffix resolves to the .ts file.
import { loadHnswModule } from "../hnsw.node.js";
import { HnswIndex } from "../hnsw-index";
import type { IndexOptions } from "../knn-index";
import { gaussianVectors } from "../testing/random-vectors";
import { compactSnapshots, TwoTierIndex } from "../two-tier-index";

const module = loadHnswModule();
const DIM = 16;
const OPTIONS: IndexOptions = { dim: DIM, metric: "l2", capacity: 2000, efSearch: 200 };
const vectors = gaussianVectors(3000, DIM, 7);
const row = (i: number) => vectors.subarray(i * DIM, (i + 1) * DIM);

function baseSnapshot(count: number): Uint8Array {
  const base = HnswIndex.create(module, OPTIONS);
  for (let i = 0; i < count; i++) base.add(i, row(i));
  return base.serialize();
}

function reference(labels: Iterable<number>): BruteForceIndex {
  const index = new BruteForceIndex({ ...OPTIONS, capacity: 3000 });
  for (const label of labels) index.add(label, row(label));
  return index;
}

function expectSameAnswers(tiers: TwoTierIndex, exact: BruteForceIndex): void {
  for (let q = 0; q < 30; q++) {
    const query = row(2999 - q);
    const got = tiers.search(query, 5, { exclude: [q] }).map((hit) => hit.label);
    expect(got).toEqual(exact.search(query, 5, { exclude: [q] }).map((hit) => hit.label));
  }
}

describe("TwoTierIndex", () => {
  it("answers from the base and the delta as one index", () => {
    const tiers = TwoTierIndex.create(module, OPTIONS, baseSnapshot(1500));
    for (let i = 1500; i < 2800; i++) tiers.add(i, row(i));
    expect(tiers.deltaSize).toBe(1300);
    expect(tiers.size).toBe(2800);
    tiers.remove(10);
    tiers.remove(2000);
    const live = Array.from({ length: 2800 }, (_, i) => i).filter((i) => i !== 10 && i !== 2000);
    expectSameAnswers(tiers, reference(live));
  });

  it("rejects a label already held by either tier", () => {
    const tiers = TwoTierIndex.create(module, OPTIONS, baseSnapshot(10));
    tiers.add(100, row(100));
    for (const label of [3, 100]) {
      expect(() => tiers.add(label, row(label))).toThrow(IndexError);
    }
  });

  it("folds the delta into a new base while serving, keeping what changed meanwhile", () => {
    const tiers = TwoTierIndex.create(module, OPTIONS, baseSnapshot(1500));
    for (let i = 0; i < 300; i += 3) tiers.remove(i);
    for (let i = 1500; i < 2000; i++) tiers.add(i, row(i));
    const input = tiers.beginCompaction();
    tiers.add(2500, row(2500));
    tiers.remove(1600);
    tiers.remove(700);
    const next = HnswIndex.deserialize(module, compactSnapshots(module, input));
    expect(next.size).toBe(1500 - 100 + 500);
    tiers.finishCompaction(next);
    expect(tiers.deltaSize).toBe(1);
    const live = Array.from({ length: 2000 }, (_, i) => i)
      .filter((i) => (i >= 300 || i % 3 !== 0) && i !== 1600 && i !== 700)
      .concat(2500);
    expect(tiers.size).toBe(live.length);
    expectSameAnswers(tiers, reference(live));
  });

  it("refuses to finish a compaction that was never begun", () => {
    const tiers = TwoTierIndex.create(module, OPTIONS);
    expect(() => tiers.finishCompaction(HnswIndex.create(module, OPTIONS))).toThrow(
      "no compaction in progress",
    );
  });
});
