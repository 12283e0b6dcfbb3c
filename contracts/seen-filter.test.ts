import { describe, expect, it } from "vitest";
import { BloomFilter } from "./bloom-filter";
import {
  encodeGeneration,
  GENERATION_MS,
  RETENTION_MS,
  SeenFilter,
  seenFilterFromMirror,
} from "./seen-filter";

describe("BloomFilter", () => {
  it("stays under 1 % false positives at 10,000 ids in at most 12 KB", () => {
    const filter = new BloomFilter();
    for (let i = 0; i < 10_000; i++) filter.add(`video-${i}`);
    for (let i = 0; i < 10_000; i++) expect(filter.has(`video-${i}`)).toBe(true);
    const trials = 200_000;
    let falsePositives = 0;
    for (let i = 0; i < trials; i++) if (filter.has(`other-${i}`)) falsePositives++;
    const rate = falsePositives / trials;
    console.info(
      `bloom: ${filter.bits.byteLength} bytes, ${filter.hashes} hashes, ` +
        `false positives ${(rate * 100).toFixed(3)} % at 10,000 ids (${trials} probes)`,
    );
    expect(filter.bits.byteLength).toBeLessThanOrEqual(12 * 1024);
    expect(rate).toBeLessThanOrEqual(0.01);
  });

  it("round-trips through its bytes", () => {
    const filter = new BloomFilter();
    filter.add("a");
    const copy = new BloomFilter(new Uint8Array(filter.bits));
    expect(copy.has("a")).toBe(true);
    expect(copy.has("b")).toBe(false);
  });
});

describe("SeenFilter", () => {
  const day = 24 * 3600 * 1000;

  it("remembers an id for at least 15 days and forgets it by 30", () => {
    const seen = new SeenFilter();
    const t0 = 1_000 * day;
    seen.add("v1", t0);
    expect(seen.has("v1", t0 + 14 * day)).toBe(true);
    // A new generation starts at day 15; the first is kept until 30 days after it began.
    seen.add("v2", t0 + GENERATION_MS);
    expect(seen.generations).toHaveLength(2);
    expect(seen.has("v1", t0 + 29 * day)).toBe(true);
    expect(seen.has("v1", t0 + RETENTION_MS)).toBe(false);
    expect(seen.has("v2", t0 + RETENTION_MS)).toBe(true);
    seen.add("v3", t0 + RETENTION_MS);
    expect(seen.generations).toHaveLength(2);
    expect(seen.has("v2", t0 + RETENTION_MS)).toBe(true);
  });

  it("starts a new generation once one holds 10,000 ids", () => {
    const seen = new SeenFilter();
    for (let i = 0; i < 10_001; i++) seen.add(`v${i}`, 0);
    expect(seen.generations.map((g) => g.count)).toEqual([1, 10_000]);
    expect(seen.has("v0", 1)).toBe(true);
  });
});

describe("seen-filter mirror", () => {
  it("answers exactly like the filter it mirrors, false positives included", () => {
    const now = Date.UTC(2026, 10, 22);
    const filter = new SeenFilter();
    for (let i = 0; i < 3_000; i++) filter.add(`seen-${i}`, i < 1_500 ? now - GENERATION_MS : now);
    expect(filter.generations).toHaveLength(2);
    const mirror = Object.fromEntries(
      filter.generations.map((g) => [String(g.startedAt), encodeGeneration(g)]),
    );
    const copy = seenFilterFromMirror(mirror);
    for (let i = 0; i < 20_000; i++) {
      const id = i < 3_000 ? `seen-${i}` : `other-${i}`;
      expect(copy.has(id, now)).toBe(filter.has(id, now));
    }
    expect(copy.generations.map((g) => g.count)).toEqual(filter.generations.map((g) => g.count));
  });

  it("skips fields it cannot read instead of failing the whole filter", () => {
    const filter = new SeenFilter();
    filter.add("a", 1_000);
    const [generation] = filter.generations;
    const copy = seenFilterFromMirror({
      "1000": encodeGeneration(generation!),
      garbage: "x",
      "2000": "12:%%%",
      "3000": "no-colon",
    });
    expect(copy.generations).toHaveLength(1);
    expect(copy.has("a", 2_000)).toBe(true);
  });
});
