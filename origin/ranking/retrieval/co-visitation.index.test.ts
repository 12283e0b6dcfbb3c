import { describe, expect, it } from "vitest";
import { CoVisitationIndex } from "./co-visitation.index";

describe("CoVisitationIndex", () => {
  it("learns online that b follows a, more strongly than a follows b", () => {
    const index = new CoVisitationIndex();
    for (let s = 0; s < 5; s++) index.observeSequence([1, 2, 3]);
    const after1 = index.scoreHistory([1], [1], new Map());
    const after2 = index.scoreHistory([2], [1], new Map());
    expect(after1.get(2)).toBeGreaterThan(after1.get(3) ?? 0);
    expect(after2.get(3)).toBeGreaterThan(after2.get(1) ?? 0);
    expect(index.count(2)).toBe(5);
  });

  it("weights the newest history item most", () => {
    const index = new CoVisitationIndex();
    index.observeSequence([1, 10]);
    index.observeSequence([2, 20]);
    const scores = index.scoreHistory([1, 2], [1, 0.5], new Map());
    expect(scores.get(20)).toBeGreaterThan(scores.get(10) ?? 0);
  });
});
