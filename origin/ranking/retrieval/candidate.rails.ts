import type { Rail } from "../candidate.types";

/** Rail sizes; 650 at most in total (docs/architecture.md, "Retrieval and ranking"). */
export type RailSizes = Record<Rail, number>;

export const DEFAULT_RAIL_SIZES: RailSizes = {
  ann: 200,
  related: 150,
  social: 150,
  trending: 100,
  exploration: 50,
};

/**
 * One source per rail. Each returns items best first and must honour `allowed`, so a rail
 * that filters inside its own search (the HNSW `accept` predicate) still fills its quota.
 */
export type RailSource = (k: number, allowed: (item: number) => boolean) => readonly number[];

export interface RailFilter {
  /** Already seen by the user (the edge's Bloom semantics: false positives only hide a video). */
  seen: (item: number) => boolean;
  /** Suppressed for the user: not-interested videos, creators and sounds. */
  suppressed: (item: number) => boolean;
}

export interface RailCandidate {
  item: number;
  rails: Partial<Record<Rail, number>>;
}

/**
 * Runs every rail and merges them: one entry per item, with its rank in each rail that found
 * it. Seen and suppressed items never enter; a rail without a source contributes nothing.
 */
export function gatherCandidates(
  sources: Partial<Record<Rail, RailSource>>,
  filter: RailFilter,
  sizes: RailSizes = DEFAULT_RAIL_SIZES,
): RailCandidate[] {
  const allowed = (item: number) => !filter.seen(item) && !filter.suppressed(item);
  const merged = new Map<number, RailCandidate>();
  for (const [rail, source] of Object.entries(sources) as [Rail, RailSource][]) {
    const items = source(sizes[rail], allowed);
    let rank = 0;
    for (const item of items) {
      if (!allowed(item)) continue;
      let entry = merged.get(item);
      if (!entry) {
        entry = { item, rails: {} };
        merged.set(item, entry);
      }
      if (entry.rails[rail] === undefined) entry.rails[rail] = rank++;
      if (rank >= sizes[rail]) break;
    }
  }
  return [...merged.values()];
}

/** The top `k` allowed keys of a score map, best first. */
export function topScored(
  scores: ReadonlyMap<number, number>,
  k: number,
  allowed: (item: number) => boolean,
): number[] {
  const entries: [number, number][] = [];
  for (const [item, score] of scores) if (allowed(item)) entries.push([item, score]);
  entries.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return entries.slice(0, k).map(([item]) => item);
}
