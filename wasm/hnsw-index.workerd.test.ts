import { describe, expect, it } from "vitest";
import hnswModule from "./build/hnsw.wasm";
import { HnswIndex, hnswFactory } from "./hnsw-index";
import { runKnnConformance } from "./knn.case";
import { TwoTierIndex } from "./two-tier-index";

runKnnConformance(hnswFactory(hnswModule));

describe("hnsw in workerd", () => {
  it("loads a snapshot and answers a query", () => {
    const dim = 16;
    const source = HnswIndex.create(hnswModule, { dim, metric: "cosine", capacity: 500 });
    for (let i = 0; i < 500; i++) {
      source.add(
        i,
        Array.from({ length: dim }, (_, j) => Math.sin(i * 0.37 + j * 1.3)),
      );
    }
    const snapshot = source.serialize();
    const loaded = HnswIndex.deserialize(hnswModule, snapshot);
    const query = Array.from({ length: dim }, (_, j) => Math.sin(123 * 0.37 + j * 1.3));
    const hits = loaded.search(query, 5, { ef: 64, exclude: [7] });
    expect(hits[0]?.label).toBe(123);
    expect(hits[0]?.distance).toBeCloseTo(0, 5);
    expect(hits).toEqual(source.search(query, 5, { ef: 64, exclude: [7] }));
  });

  it("serves a base and a delta together", () => {
    const tiers = TwoTierIndex.create(hnswModule, { dim: 2, metric: "l2", capacity: 16 });
    tiers.add(1, [1, 1]);
    tiers.add(2, [5, 5]);
    expect(tiers.search([4.9, 5], 1).map((h) => h.label)).toEqual([2]);
  });
});
