// k-NN expectations every index must meet, run against the WASM HNSW and the brute-force
// reference alike (Hono's router `common.case.test.ts` → `runTest` pattern). Sets are small
// enough that HNSW with ef ≥ n must be exact.

import { describe, expect, it } from "vitest";
import { IndexError, type IndexErrorCode } from "./errors";
import type { KnnIndex, KnnIndexFactory, Metric } from "./knn-index";

const DIM = 4;
const LINE = 100;

// Points on a line, so the exact answer is known without computing it.
function linePoint(i: number): number[] {
  return [i, 0, 0, 0];
}

function lineIndex(factory: KnnIndexFactory, capacity = LINE): KnnIndex {
  const index = factory.create({ dim: DIM, metric: "l2", capacity, efSearch: 128 });
  for (let i = 0; i < LINE; i++) index.add(i, linePoint(i));
  return index;
}

function labels(index: KnnIndex, query: number[], k: number, ef = 128): number[] {
  return index.search(query, k, { ef }).map((hit) => hit.label);
}

function expectCode(fn: () => unknown, code: IndexErrorCode): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(IndexError);
  expect((caught as IndexError).code).toBe(code);
}

export function runKnnConformance(factory: KnnIndexFactory): void {
  describe(`k-NN conformance: ${factory.name}`, () => {
    describe("exact results on small sets", () => {
      it("returns the nearest by squared L2, nearest first", () => {
        const hits = lineIndex(factory).search([37.2, 0, 0, 0], 4, { ef: 128 });
        expect(hits.map((h) => h.label)).toEqual([37, 38, 36, 39]);
        expect(hits.map((h) => h.distance)).toEqual(
          [0.04, 0.64, 1.44, 3.24].map((d) => expect.closeTo(d, 4)),
        );
      });

      it("ranks by inner product as 1 − ⟨q,v⟩", () => {
        const index = factory.create({ dim: 2, metric: "ip", capacity: 32 });
        for (let i = 0; i < 20; i++) index.add(i, [i / 10, 1]);
        const hits = index.search([1, 0], 3, { ef: 64 });
        expect(hits.map((h) => h.label)).toEqual([19, 18, 17]);
        expect(hits[0]?.distance).toBeCloseTo(1 - 1.9, 5);
      });

      it("ranks by cosine regardless of magnitude", () => {
        const index = factory.create({ dim: 2, metric: "cosine", capacity: 32 });
        for (let i = 0; i < 24; i++) {
          const angle = (i * Math.PI) / 48;
          const length = 1 + (i % 5) * 10;
          index.add(i, [length * Math.cos(angle), length * Math.sin(angle)]);
        }
        const query = [Math.cos(0.33), Math.sin(0.33)];
        expect(labels(index, query, 3, 64)).toEqual([5, 6, 4]);
        const stored = index.vector(7);
        expect(Math.hypot(stored[0] as number, stored[1] as number)).toBeCloseTo(1, 5);
      });

      it("returns every live item when k exceeds the size", () => {
        const index = factory.create({ dim: DIM, metric: "l2", capacity: 8 });
        for (let i = 0; i < 5; i++) index.add(i * 10, linePoint(i));
        expect(labels(index, linePoint(4), 10)).toEqual([40, 30, 20, 10, 0]);
      });

      it("answers an empty index and k = 0 with nothing", () => {
        const index = factory.create({ dim: DIM, metric: "l2", capacity: 4 });
        expect(index.search(linePoint(0), 5)).toEqual([]);
        index.add(1, linePoint(1));
        expect(index.search(linePoint(0), 0)).toEqual([]);
      });

      it("keeps labels above 2^31 intact", () => {
        const index = factory.create({ dim: DIM, metric: "l2", capacity: 4 });
        index.add(0xfffffff0, linePoint(1));
        index.add(0x80000001, linePoint(5));
        expect(labels(index, linePoint(0), 2)).toEqual([0xfffffff0, 0x80000001]);
      });
    });

    describe("filters", () => {
      it("skips excluded labels without spending result slots on them", () => {
        const hits = labels(lineIndex(factory), [37.2, 0, 0, 0], 3);
        expect(hits).toEqual([37, 38, 36]);
        const filtered = lineIndex(factory).search([37.2, 0, 0, 0], 3, {
          ef: 128,
          exclude: new Set([37, 38, 1234]),
        });
        expect(filtered.map((h) => h.label)).toEqual([36, 39, 35]);
      });

      it("applies a predicate on labels", () => {
        const hits = lineIndex(factory).search([37.2, 0, 0, 0], 4, {
          ef: 128,
          accept: (label) => label % 2 === 0,
        });
        expect(hits.map((h) => h.label)).toEqual([38, 36, 40, 34]);
      });

      it("combines an exclusion set with a predicate, and forgets both afterwards", () => {
        const index = lineIndex(factory);
        const hits = index.search([37.2, 0, 0, 0], 2, {
          ef: 128,
          exclude: [38],
          accept: (label) => label % 2 === 0,
        });
        expect(hits.map((h) => h.label)).toEqual([36, 40]);
        expect(labels(index, [37.2, 0, 0, 0], 2)).toEqual([37, 38]);
      });

      it("recovers when the predicate throws", () => {
        const index = lineIndex(factory);
        expect(() =>
          index.search(linePoint(5), 3, {
            exclude: [5],
            accept: () => {
              throw new Error("boom");
            },
          }),
        ).toThrow("boom");
        expect(labels(index, linePoint(5), 1)).toEqual([5]);
      });
    });

    describe("deletes and slot reuse", () => {
      it("never returns a removed label", () => {
        const index = lineIndex(factory);
        index.remove(37);
        index.remove(38);
        expect(index.has(37)).toBe(false);
        expect(index.size).toBe(LINE - 2);
        expect(labels(index, [37.2, 0, 0, 0], 3)).toEqual([36, 39, 35]);
        expectCode(() => index.remove(37), "INDEX.UNKNOWN_LABEL");
      });

      it("reuses deleted slots instead of exhausting capacity", () => {
        const index = lineIndex(factory, LINE);
        expectCode(() => index.add(1000, linePoint(0)), "INDEX.CAPACITY_EXHAUSTED");
        for (const label of [10, 50, 90]) index.remove(label);
        index.add(1010, [10.1, 0, 0, 0]);
        index.add(1050, [50.1, 0, 0, 0]);
        index.add(1090, [90.1, 0, 0, 0]);
        expect(index.size).toBe(LINE);
        expect(index.capacity).toBe(LINE);
        expect(labels(index, [50.02, 0, 0, 0], 3)).toEqual([1050, 51, 49]);
        expect(labels(index, [10.2, 0, 0, 0], 2)).toEqual([1010, 11]);
        expectCode(() => index.add(2000, linePoint(0)), "INDEX.CAPACITY_EXHAUSTED");
      });

      it("lets a removed label come back with a new vector", () => {
        const index = lineIndex(factory);
        index.remove(3);
        index.add(3, [70.4, 0, 0, 0]);
        expect(labels(index, [70.6, 0, 0, 0], 2)).toEqual([3, 71]);
        expect(labels(index, [2.9, 0, 0, 0], 1)).toEqual([2]);
      });

      it("grows capacity on resize and refuses to shrink below what is used", () => {
        const index = lineIndex(factory, LINE);
        index.resize(2 * LINE);
        for (let i = LINE; i < 2 * LINE; i++) index.add(i, linePoint(i));
        expect(index.size).toBe(2 * LINE);
        expect(labels(index, [150.2, 0, 0, 0], 2)).toEqual([150, 151]);
        expect(labels(index, [3.2, 0, 0, 0], 2)).toEqual([3, 4]);
        expectCode(() => index.resize(10), "INDEX.INVALID_ARGUMENT");
      });
    });

    describe("snapshots", () => {
      it("round-trips to identical results, deletes included", () => {
        const index = lineIndex(factory);
        for (const label of [5, 6, 7]) index.remove(label);
        const copy = factory.deserialize(index.serialize());
        expect(copy.size).toBe(index.size);
        expect(copy.dim).toBe(DIM);
        expect(copy.metric).toBe<Metric>("l2");
        for (const q of [0, 6.3, 42.5, 99]) {
          expect(copy.search(linePoint(q), 5, { ef: 128 })).toEqual(
            index.search(linePoint(q), 5, { ef: 128 }),
          );
        }
        copy.add(500, [6.1, 0, 0, 0]);
        expect(copy.capacity).toBe(LINE);
        expect(labels(copy, [6, 0, 0, 0], 2)).toEqual([500, 4]);
      });

      it("round-trips an empty index", () => {
        const index = factory.create({ dim: 3, metric: "cosine", capacity: 2 });
        const copy = factory.deserialize(index.serialize());
        expect(copy.metric).toBe<Metric>("cosine");
        expect(copy.search([1, 0, 0], 1)).toEqual([]);
      });

      it("rejects truncated, extended, bit-flipped and foreign bytes", () => {
        const bytes = lineIndex(factory).serialize();
        expectCode(
          () => factory.deserialize(bytes.subarray(0, bytes.length - 1)),
          "INDEX.SNAPSHOT_CORRUPT",
        );
        expectCode(() => factory.deserialize(bytes.subarray(0, 10)), "INDEX.SNAPSHOT_CORRUPT");
        const longer = new Uint8Array(bytes.length + 4);
        longer.set(bytes);
        expectCode(() => factory.deserialize(longer), "INDEX.SNAPSHOT_CORRUPT");
        for (let i = 0; i < 64; i++) {
          const at = Math.floor(((i * 7919) % 1000) * (bytes.length / 1000));
          if (at >= 4 && at < 6) continue;
          const flipped = bytes.slice();
          flipped[at] = (flipped[at] as number) ^ (1 << (i % 8));
          expectCode(() => factory.deserialize(flipped), "INDEX.SNAPSHOT_CORRUPT");
        }
        expectCode(
          () => factory.deserialize(new TextEncoder().encode("x".repeat(200))),
          "INDEX.SNAPSHOT_CORRUPT",
        );
      });

      it("names an unsupported format version", () => {
        const bytes = lineIndex(factory).serialize();
        bytes[4] = 99;
        expectCode(() => factory.deserialize(bytes), "INDEX.SNAPSHOT_VERSION");
      });
    });

    describe("errors", () => {
      it("rejects vectors and queries of the wrong dimension", () => {
        const index = lineIndex(factory);
        expectCode(() => index.add(500, [1, 2, 3]), "INDEX.DIMENSION_MISMATCH");
        expectCode(() => index.search([1, 2, 3, 4, 5], 1), "INDEX.DIMENSION_MISMATCH");
        expectCode(
          () => index.addMany([500, 501], new Float32Array(7)),
          "INDEX.DIMENSION_MISMATCH",
        );
      });

      it("rejects NaN and infinite values", () => {
        const index = lineIndex(factory);
        expectCode(() => index.add(500, [1, Number.NaN, 0, 0]), "INDEX.NON_FINITE_VALUE");
        expectCode(
          () => index.search([Number.POSITIVE_INFINITY, 0, 0, 0], 1),
          "INDEX.NON_FINITE_VALUE",
        );
      });

      it("rejects duplicate, unknown and malformed labels", () => {
        const index = lineIndex(factory, 2 * LINE);
        expectCode(() => index.add(5, linePoint(5)), "INDEX.DUPLICATE_LABEL");
        expectCode(() => index.vector(12345), "INDEX.UNKNOWN_LABEL");
        expectCode(() => index.add(-1, linePoint(1)), "INDEX.INVALID_ARGUMENT");
        expectCode(() => index.add(1.5, linePoint(1)), "INDEX.INVALID_ARGUMENT");
      });

      it("validates a whole batch before inserting any of it", () => {
        const index = factory.create({ dim: 2, metric: "l2", capacity: 8 });
        const vectors = new Float32Array([0, 0, 1, 1, Number.NaN, 2]);
        expectCode(() => index.addMany([1, 2, 3], vectors), "INDEX.NON_FINITE_VALUE");
        expectCode(() => index.addMany([1, 2, 1], new Float32Array(6)), "INDEX.DUPLICATE_LABEL");
        expectCode(
          () =>
            index.addMany(
              Array.from({ length: 9 }, (_, i) => i),
              new Float32Array(18),
            ),
          "INDEX.CAPACITY_EXHAUSTED",
        );
        expect(index.size).toBe(0);
        index.addMany([1, 2], new Float32Array([0, 0, 3, 3]));
        expect(labels(index, [2.9, 3], 1)).toEqual([2]);
      });
    });
  });
}
