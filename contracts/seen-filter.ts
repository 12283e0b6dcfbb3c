import { BloomFilter } from "./bloom-filter";

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

/**
 * The UserFeed object mirrors its seen-filter and suppressions to Redis so the origin's rails
 * drop exactly what the edge would (false positives included): `seen:{user}` is a hash, one
 * field per generation, `{startedAt}` → `{count}:{base64 bits}`; `suppressed:{user}` is a hash
 * `{kind}:{value}` → until (ms), kind being `creator_id`, `audio_id` or `video_id`. Both expire
 * RETENTION_MS after the last write.
 */
export const SeenKeys = {
  seen: (userId: string) => `seen:${userId}`,
  suppressed: (userId: string) => `suppressed:${userId}`,
} as const;

export function encodeGeneration(generation: SeenGeneration): string {
  let binary = "";
  const bits = generation.filter.bits;
  for (let i = 0; i < bits.length; i += 0x8000) {
    binary += String.fromCharCode(...bits.subarray(i, i + 0x8000));
  }
  return `${generation.count}:${btoa(binary)}`;
}

/** The generation a mirror field holds, or null when the field is not one this code wrote. */
export function decodeGeneration(startedAt: string, value: string): SeenGeneration | null {
  const split = value.indexOf(":");
  const started = Number(startedAt);
  const count = Number(value.slice(0, split));
  if (split < 1 || !Number.isSafeInteger(started) || !Number.isSafeInteger(count)) return null;
  let binary: string;
  try {
    binary = atob(value.slice(split + 1));
  } catch {
    return null;
  }
  if (binary.length === 0 || binary.length % 8 !== 0) return null;
  const bits = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bits[i] = binary.charCodeAt(i);
  return { startedAt: started, count, filter: new BloomFilter(bits) };
}

/** A mirror hash (field → value) as a filter, newest generation first; bad fields are skipped. */
export function seenFilterFromMirror(fields: Record<string, string> | null): SeenFilter {
  const generations = Object.entries(fields ?? {})
    .flatMap(([startedAt, value]) => decodeGeneration(startedAt, value) ?? [])
    .sort((a, b) => b.startedAt - a.startedAt);
  return new SeenFilter(generations);
}
