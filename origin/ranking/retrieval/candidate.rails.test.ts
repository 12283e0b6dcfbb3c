import { describe, expect, it } from "vitest";
import { gatherCandidates, type RailSource, topScored } from "./candidate.rails";

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
/** A rail over a fixed list that honours `allowed` itself, as the HNSW predicate does. */
const listRail =
  (items: number[]): RailSource =>
  (k, allowed) =>
    items.filter(allowed).slice(0, k);

describe("gatherCandidates", () => {
  const sizes = { ann: 5, related: 5, social: 5, trending: 5, exploration: 2 };

  it("merges rails into one entry per video with its rank in every rail that found it", () => {
    const merged = gatherCandidates(
      { ann: listRail([1, 2, 3]), trending: listRail([3, 4]) },
      { seen: () => false, suppressed: () => false },
      sizes,
    );
    expect(merged.map((c) => c.item).sort()).toEqual([1, 2, 3, 4]);
    expect(merged.find((c) => c.item === 3)?.rails).toEqual({ ann: 2, trending: 0 });
  });

  it("drops seen videos and still fills each rail's quota", () => {
    const seen = new Set([0, 1, 2]);
    const merged = gatherCandidates(
      { ann: listRail(range(0, 20)) },
      { seen: (i) => seen.has(i), suppressed: () => false },
      sizes,
    );
    expect(merged.map((c) => c.item)).toEqual([3, 4, 5, 6, 7]);
  });

  it("drops suppressed videos even from a rail that ignores the filter", () => {
    const ignoring: RailSource = (k) => range(0, k);
    const merged = gatherCandidates(
      { trending: ignoring },
      { seen: () => false, suppressed: (i) => i % 2 === 0 },
      sizes,
    );
    expect(merged.every((c) => c.item % 2 === 1)).toBe(true);
    expect(merged.map((c) => c.rails.trending)).toEqual([0, 1]);
  });

  it("caps every rail at its size", () => {
    const merged = gatherCandidates(
      { exploration: listRail(range(100, 200)) },
      { seen: () => false, suppressed: () => false },
      sizes,
    );
    expect(merged).toHaveLength(2);
  });
});

describe("topScored", () => {
  it("returns the best allowed keys, ties by smaller id", () => {
    const scores = new Map([
      [5, 1],
      [3, 2],
      [4, 2],
      [9, 9],
    ]);
    expect(topScored(scores, 3, (i) => i !== 9)).toEqual([3, 4, 5]);
  });
});
