import { beforeAll, describe, expect, it } from "vitest";
import { BruteForceIndex } from "../brute-force-index";
// tsx reads a bare "*.node" specifier as a native addon; the .js suffix resolves to the .ts file.
import { loadHnswModule } from "../hnsw.node.js";
import { HnswIndex } from "../hnsw-index";
import type { IndexOptions, SearchOptions } from "../knn-index";
import { gaussianVectors } from "../testing/random-vectors";
import { recallAtK } from "../testing/recall";

// Unnormalised Gaussian vectors under inner product are a hard case for HNSW (large-norm
// points become hubs): hnswlib-node with the same M/efConstruction needs ef≈512 for 0.99
// here, and so do we.
const N = 10_000;
const DIM = 128;
const QUERIES = 200;
const EF_SEARCH = 512;
const OPTIONS: IndexOptions = { dim: DIM, metric: "ip", M: 16, efConstruction: 200, capacity: N };

const module = loadHnswModule();
const base = gaussianVectors(N, DIM, 1);
const queries = gaussianVectors(QUERIES, DIM, 2);
const labels = Uint32Array.from({ length: N }, (_, i) => i * 7 + 3);
const query = (q: number) => queries.subarray(q * DIM, (q + 1) * DIM);

let reference: BruteForceIndex;
let fresh: HnswIndex;

function recall(index: HnswIndex, options: SearchOptions = {}): number {
  const found = Array.from({ length: QUERIES }, (_, q) =>
    index.search(query(q), 10, { ef: EF_SEARCH, ...options }).map((hit) => hit.label),
  );
  const truth = Array.from({ length: QUERIES }, (_, q) =>
    reference.search(query(q), 10, options).map((hit) => hit.label),
  );
  return recallAtK(found, (q) => truth[q] as number[], 10);
}

describe("recall on random 128-d vectors under inner product", () => {
  beforeAll(() => {
    reference = new BruteForceIndex(OPTIONS);
    reference.addMany(labels, base);
    fresh = HnswIndex.create(module, OPTIONS);
    fresh.addMany(labels, base);
  });

  it(`reaches recall@10 ≥ 0.95 at ef=${EF_SEARCH}`, () => {
    expect(recall(fresh)).toBeGreaterThanOrEqual(0.95);
  });

  it("keeps recall ≥ 0.95 among allowed labels with 30 % excluded, and never returns one", () => {
    const excluded = new Set(Array.from(labels).filter((_, i) => (i * 2654435761) % 10 < 3));
    expect(excluded.size).toBeGreaterThan(N * 0.25);
    for (const options of [{ exclude: excluded }, { accept: (l: number) => !excluded.has(l) }]) {
      expect(recall(fresh, options)).toBeGreaterThanOrEqual(0.95);
      for (let q = 0; q < QUERIES; q++) {
        for (const hit of fresh.search(query(q), 10, options)) {
          expect(excluded.has(hit.label)).toBe(false);
        }
      }
    }
  });

  it("keeps recall within 0.01 of a fresh build after deleting and re-inserting 10 %", () => {
    const churned = HnswIndex.create(module, OPTIONS);
    churned.addMany(labels, base);
    const victims = Array.from(labels).filter((_, i) => i % 10 === 4);
    for (const label of victims) churned.remove(label);
    expect(churned.size).toBe(N - victims.length);
    for (const label of victims) {
      const i = (label - 3) / 7;
      churned.add(label, base.subarray(i * DIM, (i + 1) * DIM));
    }
    expect(churned.capacity).toBe(N);
    expect(recall(churned)).toBeGreaterThanOrEqual(recall(fresh) - 0.01);
  });

  it("returns identical results after a snapshot round-trip", () => {
    const copy = HnswIndex.deserialize(module, fresh.serialize());
    for (let q = 0; q < 20; q++) {
      expect(copy.search(query(q), 10, { ef: 64 })).toEqual(fresh.search(query(q), 10, { ef: 64 }));
    }
  });
}, 120_000);
