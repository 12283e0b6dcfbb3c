import { describe, expect, it } from "vitest";
import { BloomFilter } from "./bloom-filter";
import {
  type BitfieldSet,
  fullLengthSet,
  GENERATION_MS,
  generationFields,
  idBitSets,
  RETENTION_MS,
  redisBitOffset,
  SeenFilter,
  type SeenSlot,
  seenFilterFromMirror,
  wholeGenerationSets,
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

/**
 * BITFIELD SET as Redis runs it, written from its documentation rather than from the code under
 * test: bit p of a string is the (p mod 8)-th bit of byte ⌊p/8⌋ counting from the most
 * significant, a value is written most significant bit first, and the string grows with zeros up
 * to the last byte written.
 */
function redisBitfieldSet(bytes: Uint8Array, sets: readonly BitfieldSet[]): Uint8Array {
  let out = bytes;
  for (const { type, offset, value } of sets) {
    const width = Number(type.slice(1));
    const length = Math.ceil((offset + width) / 8);
    if (length > out.length) {
      const grown = new Uint8Array(length);
      grown.set(out);
      out = grown;
    }
    for (let k = 0; k < width; k++) {
      const position = offset + k;
      const mask = 0x80 >> (position % 8);
      const on = Math.floor(value / 2 ** (width - 1 - k)) % 2 === 1;
      const byte = Math.floor(position / 8);
      out[byte] = on ? out[byte]! | mask : out[byte]! & ~mask;
    }
  }
  return out;
}

describe("seen-filter mirror layout", () => {
  it("maps filter bits to Redis offsets within the same byte, most significant bit first", () => {
    expect([0, 1, 7, 8, 15, 98_303].map(redisBitOffset)).toEqual([7, 6, 0, 15, 8, 98_296]);
  });

  it("writes a page's ids as single bits that land on the filter's own bytes", () => {
    const filter = new BloomFilter();
    const ids = Array.from({ length: 500 }, (_, i) => `page-${i}`);
    for (const id of ids) filter.add(id);
    const bytes = redisBitfieldSet(new Uint8Array(0), [
      fullLengthSet(filter),
      ...idBitSets(filter, ids),
    ]);
    expect(bytes).toEqual(filter.bits);
    // A page's 8 ids are at most 56 single-bit SETs, each bit once.
    const page = idBitSets(filter, ids.slice(0, 8));
    expect(page.length).toBeLessThanOrEqual(56);
    expect(new Set(page.map((set) => set.offset)).size).toBe(page.length);
  });

  it("writes a whole generation, young or full, byte for byte, and deltas apply on top", () => {
    const young = new BloomFilter();
    young.add("only");
    const youngSets = wholeGenerationSets(young);
    expect(youngSets.length).toBeLessThanOrEqual(1 + young.hashes);
    expect(redisBitfieldSet(new Uint8Array(0), youngSets)).toEqual(young.bits);

    const full = new BloomFilter();
    for (let i = 0; i < 10_000; i++) full.add(`full-${i}`);
    const written = redisBitfieldSet(new Uint8Array(0), wholeGenerationSets(full));
    expect(written).toEqual(full.bits);
    const later = ["late-1", "late-2"];
    for (const id of later) full.add(id);
    expect(redisBitfieldSet(written, idBitSets(full, later))).toEqual(full.bits);
  });

  it("keeps every bit when the last byte is rewritten over a generation Redis already holds", () => {
    const filter = new BloomFilter();
    for (let i = 0; i < 3_000; i++) filter.add(`held-${i}`);
    const held = redisBitfieldSet(new Uint8Array(0), wholeGenerationSets(filter));
    expect(redisBitfieldSet(held, [fullLengthSet(filter)])).toEqual(filter.bits);
  });
});

describe("seen-filter mirror reader", () => {
  it("answers exactly like the filter it mirrors, false positives included", () => {
    const now = Date.UTC(2026, 10, 22);
    const filter = new SeenFilter();
    for (let i = 0; i < 3_000; i++) filter.add(`seen-${i}`, i < 1_500 ? now - GENERATION_MS : now);
    expect(filter.generations).toHaveLength(2);
    const fields = Object.fromEntries(
      filter.generations.flatMap((g, slot) =>
        Object.entries(generationFields(slot as SeenSlot, g)).map(([k, v]) => [k, String(v)]),
      ),
    );
    const copy = seenFilterFromMirror(
      fields,
      filter.generations.map((g) => new Uint8Array(g.filter.bits)),
    );
    for (let i = 0; i < 20_000; i++) {
      const id = i < 3_000 ? `seen-${i}` : `other-${i}`;
      expect(copy.has(id, now)).toBe(filter.has(id, now));
    }
    expect(copy.generations.map((g) => [g.startedAt, g.count])).toEqual(
      filter.generations.map((g) => [g.startedAt, g.count]),
    );
  });

  it("skips a slot it cannot read instead of failing the whole filter", () => {
    const filter = new BloomFilter();
    filter.add("a");
    // BITFIELD grows a string only up to the last bit written: shorter means zeros after it.
    const short = filter.bits.slice(0, filter.bits.findLastIndex((byte) => byte !== 0) + 1);
    const copy = seenFilterFromMirror({ "0:started": "1000", "0:count": "1", "1:count": "3" }, [
      short,
      new Uint8Array(filter.bits),
    ]);
    expect(copy.generations.map((g) => g.startedAt)).toEqual([1_000]);
    expect(copy.has("a", 2_000)).toBe(true);
    expect(copy.has("b", 2_000)).toBe(false);
    const oversized = seenFilterFromMirror({ "0:started": "1000" }, [new Uint8Array(20_000)]);
    expect(oversized.generations).toEqual([]);
    expect(seenFilterFromMirror({ "0:started": "1000" }, [null]).generations).toEqual([]);
    expect(seenFilterFromMirror(null, [null, null]).generations).toEqual([]);
  });
});
