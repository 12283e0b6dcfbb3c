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
