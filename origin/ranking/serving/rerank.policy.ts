import type { Candidate } from "../candidate.types";
import type { RerankPolicy } from "../config/ranking.config";

export interface Scored {
  candidate: Candidate;
  score: number;
}

export interface Placed extends Scored {
  /** True when the video filled a reserved fresh slot. */
  fresh: boolean;
}

export function isFresh(candidate: Candidate, policy: RerankPolicy): boolean {
  return (
    candidate.ageHours !== undefined &&
    candidate.ageHours <= policy.freshMaxAgeHours &&
    (candidate.exposures ?? 0) <= policy.freshMaxExposures
  );
}

export function recencyBoost(candidate: Candidate, policy: RerankPolicy): number {
  const age = candidate.ageHours;
  if (age === undefined || age < 0 || age > policy.recencyHours) return 0;
  return policy.recencyAlpha * Math.exp(-age / 24);
}

/**
 * Greedy re-ranking: each position takes the best remaining video after the recency boost and
 * the sound/hashtag penalties against the last few placed, skipping any that would make a third
 * consecutive video from one creator; every Nth position takes the best fresh video instead.
 * Stops early rather than break the creator rule, so the feed is shorter, never repetitive.
 */
export function rerank(scored: readonly Scored[], policy: RerankPolicy, limit: number): Placed[] {
  const pool = scored.map((s) => ({ ...s, score: s.score + recencyBoost(s.candidate, policy) }));
  const placed: Placed[] = [];
  const taken = new Uint8Array(pool.length);
  while (placed.length < limit) {
    const position = placed.length + 1;
    const wantFresh = policy.freshEvery > 0 && position % policy.freshEvery === 0;
    let best = -1;
    let bestScore = -Infinity;
    let bestFresh = -1;
    let bestFreshScore = -Infinity;
    for (let i = 0; i < pool.length; i++) {
      if (taken[i]) continue;
      const entry = pool[i] as Scored;
      if (breaksCreatorRun(placed, entry.candidate, policy.maxCreatorRun)) continue;
      const score = entry.score - diversityPenalty(placed, entry.candidate, policy);
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
      if (wantFresh && isFresh(entry.candidate, policy) && score > bestFreshScore) {
        bestFreshScore = score;
        bestFresh = i;
      }
    }
    const pick = bestFresh >= 0 ? bestFresh : best;
    if (pick < 0) break;
    taken[pick] = 1;
    const entry = pool[pick] as Scored;
    placed.push({ ...entry, fresh: bestFresh >= 0 });
  }
  return placed;
}

function breaksCreatorRun(placed: readonly Placed[], candidate: Candidate, maxRun: number) {
  if (placed.length < maxRun) return false;
  for (let k = 1; k <= maxRun; k++) {
    if (placed[placed.length - k]?.candidate.creatorId !== candidate.creatorId) return false;
  }
  return true;
}

function diversityPenalty(placed: readonly Placed[], candidate: Candidate, policy: RerankPolicy) {
  let penalty = 0;
  const start = Math.max(0, placed.length - policy.diversityWindow);
  for (let k = start; k < placed.length; k++) {
    const other = (placed[k] as Placed).candidate;
    if (candidate.audioId && other.audioId === candidate.audioId) penalty += policy.soundPenalty;
    for (const tag of candidate.hashtags) {
      if (other.hashtags.includes(tag)) penalty += policy.hashtagPenalty;
    }
  }
  return penalty;
}
