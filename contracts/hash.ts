/** MurmurHash3's 32-bit finalizer: spreads every input bit over every output bit. */
export function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * FNV-1a, 32 bit, then murmur3's finalizer: FNV alone leaves ids that differ in their last
 * characters clustered in the high bits, which skews a sampling threshold. Used for event
 * partitions, sampling decisions and A/B buckets, on the edge and the origin alike.
 */
export function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return fmix32(hash);
}
