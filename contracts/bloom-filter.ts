import { fmix32 } from "./hash";
/**
 * A fixed-size Bloom filter over strings. The default shape, 98,304 bits (12 KiB) and 7 hashes,
 * gives (1 − e^(−7·10⁴/98304))⁷ ≈ 0.89 % false positives at 10,000 ids: the smallest power-of-two
 * multiple of 1 KiB that stays under 1 % with margin (the textbook 95,851 bits sits exactly at 1 %).
 */
export const BLOOM_BITS = 98_304;
export const BLOOM_HASHES = 7;

export class BloomFilter {
  readonly bits: Uint8Array;
  readonly size: number;

  constructor(
    bits: Uint8Array = new Uint8Array(BLOOM_BITS / 8),
    readonly hashes = BLOOM_HASHES,
  ) {
    this.bits = bits;
    this.size = bits.length * 8;
  }

  add(item: string): void {
    for (const index of this.indexesOf(item)) this.bits[index >>> 3]! |= 1 << (index & 7);
  }

  has(item: string): boolean {
    for (const index of this.indexesOf(item)) {
      if ((this.bits[index >>> 3]! & (1 << (index & 7))) === 0) return false;
    }
    return true;
  }

  /**
   * The bits `add(item)` sets, bit i being `1 << (i & 7)` of byte `i >>> 3`: Kirsch–Mitzenmacher
   * double hashing, k indexes from two independent 32-bit hashes.
   */
  indexesOf(item: string): number[] {
    const bytes = encoder.encode(item);
    const h1 = murmur3(bytes, 0x9747b28c);
    const h2 = murmur3(bytes, 0x5bd1e995) | 1;
    const indexes: number[] = [];
    for (let i = 0; i < this.hashes; i++) indexes.push(((h1 + Math.imul(i, h2)) >>> 0) % this.size);
    return indexes;
  }
}

const encoder = new TextEncoder();

/** MurmurHash3 x86 32-bit. */
function murmur3(bytes: Uint8Array, seed: number): number {
  let h = seed >>> 0;
  const blocks = bytes.length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = bytes.length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= bytes[blocks + 2]! << 16;
    if (tail >= 2) k ^= bytes[blocks + 1]! << 8;
    k ^= bytes[blocks]!;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  return fmix32(h ^ bytes.length);
}
