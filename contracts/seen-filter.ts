import { BLOOM_BITS, BloomFilter } from "./bloom-filter";

const DAY_MS = 24 * 3600 * 1000;

/**
 * A new generation starts every 15 days and a generation is dropped 30 days after it started,
 * so an id is remembered for at least 15 and at most 30 days. A generation also closes early at
 * 10,000 ids, the load at which one 12 KiB filter stays under 1 % false positives.
 */
export const GENERATION_MS = 15 * DAY_MS;
export const RETENTION_MS = 30 * DAY_MS;
export const GENERATION_CAPACITY = 10_000;

export interface SeenGeneration {
  startedAt: number;
  count: number;
  filter: BloomFilter;
}

/** The user's seen-filter: two rotating Bloom filter generations, newest first. */
export class SeenFilter {
  constructor(readonly generations: SeenGeneration[] = []) {}

  has(id: string, now: number): boolean {
    return this.generations.some(
      (generation) => now - generation.startedAt < RETENTION_MS && generation.filter.has(id),
    );
  }

  /** Adds an id; returns true when a rotation replaced the generations (all must be persisted). */
  add(id: string, now: number): boolean {
    const rotated = this.rotateIfDue(now);
    const current = this.generations[0]!;
    current.filter.add(id);
    current.count++;
    return rotated;
  }

  private rotateIfDue(now: number): boolean {
    const current = this.generations[0];
    if (current && now - current.startedAt < GENERATION_MS && current.count < GENERATION_CAPACITY) {
      return false;
    }
    this.generations.unshift({ startedAt: now, count: 0, filter: new BloomFilter() });
    const kept = this.generations.filter((g) => now - g.startedAt < RETENTION_MS).slice(0, 2);
    this.generations.splice(0, this.generations.length, ...kept);
    return true;
  }
}

/*
 * The mirror's encoding (its key names are SeenKeys in ./keyspace). The UserFeed object mirrors
 * its seen-filter and suppressions to Redis so the origin's rails drop exactly what the edge would
 * (false positives included). Each generation is a binary string whose bytes are the filter's
 * bytes, `seen:{user}:0` the newest and `seen:{user}:1` the older; the hash `seen:{user}` holds
 * each one's `{slot}:started` (ms) and `{slot}:count`. The edge's REST client carries JSON, which
 * cannot hold raw bytes, so the strings are written with BITFIELD SET: a page sets only the ~56
 * bits its ids set instead of rewriting 12 KiB. `suppressed:{user}` is a hash `{kind}:{value}` →
 * until (ms), kind being `creator_id`, `audio_id` or `video_id`. Every key expires RETENTION_MS
 * after the last write.
 */

/** 0 holds the newest generation, 1 the older one. */
export type SeenSlot = 0 | 1;
export const SEEN_SLOTS: readonly SeenSlot[] = [0, 1];

/** One `BITFIELD key SET {type} {offset} {value}`; the offset counts bits as Redis does. */
export interface BitfieldSet {
  type: "u1" | "u8" | "u32";
  offset: number;
  value: number;
}

/**
 * Redis numbers the bits of a string from the most significant bit of each byte; the filter
 * numbers them from the least (bit i is `1 << (i & 7)` of byte `i >>> 3`). Bytes stay in place.
 */
export function redisBitOffset(index: number): number {
  return 8 * (index >>> 3) + 7 - (index & 7);
}

/** The SETs that turn on every bit these ids set in `filter`: what a page adds to a generation. */
export function idBitSets(filter: BloomFilter, ids: Iterable<string>): BitfieldSet[] {
  const offsets = new Set<number>();
  for (const id of ids) {
    for (const index of filter.indexesOf(id)) offsets.add(redisBitOffset(index));
  }
  return [...offsets].sort((a, b) => a - b).map((offset) => ({ type: "u1", offset, value: 1 }));
}

/**
 * The SET of the filter's last byte to its current value. On a missing key it creates the string
 * at the filter's full length (BITFIELD only grows a string up to the highest bit it writes); on
 * an existing one it changes no bit the filter does not have.
 */
export function fullLengthSet(filter: BloomFilter): BitfieldSet {
  const last = filter.bits.length - 1;
  return { type: "u8", offset: 8 * last, value: filter.bits[last]! };
}

/**
 * The SETs that write a whole generation into a key that does not exist: the full length first,
 * then every non-zero 32-bit word (big-endian, as BITFIELD reads it). Zero words need no write, so
 * a young generation costs about as much as its ids' bits; a full one about 90 KB of JSON.
 */
export function wholeGenerationSets(filter: BloomFilter): BitfieldSet[] {
  const bits = filter.bits;
  const sets = [fullLengthSet(filter)];
  for (let i = 0; i < bits.length; i += 4) {
    if (i + 4 > bits.length) {
      for (let j = i; j < bits.length; j++) {
        if (bits[j] !== 0) sets.push({ type: "u8", offset: 8 * j, value: bits[j]! });
      }
      break;
    }
    const word =
      ((bits[i]! << 24) | (bits[i + 1]! << 16) | (bits[i + 2]! << 8) | bits[i + 3]!) >>> 0;
    if (word !== 0) sets.push({ type: "u32", offset: 8 * i, value: word });
  }
  return sets;
}

/** The mirror hash's fields for the generation held in `slot`. */
export function generationFields(
  slot: SeenSlot,
  generation: SeenGeneration,
): Record<string, number> {
  return { [`${slot}:started`]: generation.startedAt, [`${slot}:count`]: generation.count };
}

const MIRROR_BYTES = BLOOM_BITS / 8;

/**
 * The mirror as a filter, newest generation first: the hash's fields and each slot's bytes (null
 * when the key is missing). A slot without a readable start time or with more bytes than a filter
 * is skipped rather than failing the whole filter; a shorter string is zeros past its end, as
 * BITFIELD treats it.
 */
export function seenFilterFromMirror(
  fields: Record<string, string> | null,
  slots: readonly (Uint8Array | null)[],
): SeenFilter {
  const generations = slots
    .flatMap((bytes, slot) => generationInSlot(fields ?? {}, slot, bytes) ?? [])
    .sort((a, b) => b.startedAt - a.startedAt);
  return new SeenFilter(generations);
}

function generationInSlot(
  fields: Record<string, string>,
  slot: number,
  bytes: Uint8Array | null,
): SeenGeneration | null {
  const startedAt = Number(fields[`${slot}:started`]);
  const count = Number(fields[`${slot}:count`] ?? 0);
  if (!bytes || bytes.length > MIRROR_BYTES) return null;
  if (!Number.isSafeInteger(startedAt) || !Number.isSafeInteger(count)) return null;
  const bits = new Uint8Array(MIRROR_BYTES);
  bits.set(bytes);
  return { startedAt, count, filter: new BloomFilter(bits) };
}
