import type { Candidate, UserContext } from "../candidate.types";
import type { SequenceModel } from "../model/sequence.model";
import type { CoVisitationIndex } from "../retrieval/co-visitation.index";

/**
 * Per-request values shared by every candidate: the user vectors and the co-engagement scores
 * are computed once, then each candidate's features are a few lookups.
 */
export interface UserState {
  context: UserContext;
  shortTerm: Float32Array;
  longTerm: Float32Array;
  related: Map<number, number>;
  /** Largest |interest score|, to scale affinities into [−1, 1]. */
  interestMax: number;
}

export function userState(
  context: UserContext,
  sequence: SequenceModel,
  coVisitation: CoVisitationIndex,
): UserState {
  const weights = new Float32Array(sequence.options.window);
  sequence.historyWeights(context.history.length, weights);
  let interestMax = 0;
  for (const score of context.interest.values())
    interestMax = Math.max(interestMax, Math.abs(score));
  return {
    context,
    shortTerm: sequence.userVector(context.history),
    longTerm: sequence.longTermVector(context.longHistory ?? context.history),
    related: coVisitation.scoreHistory(context.history, weights, new Map()),
    interestMax,
  };
}

/** Stage 1: a handful of features, cheap enough for ~500 candidates in well under 5 ms. */
export const STAGE1_FEATURES = 10;
/** Stage 2: stage 1's plus long-term, rail ranks, crosses, freshness and video rates. */
export const STAGE2_FEATURES = 22;

/** Indices of features that priors and tests refer to by meaning. */
export const FEATURE = {
  bias: 0,
  shortTerm: 1,
  related: 2,
  creatorAffinity: 8,
  contentAffinity: 9,
  longTerm: 10,
} as const;

export function stage1Features(
  state: UserState,
  candidate: Candidate,
  sequence: SequenceModel,
  coVisitation: CoVisitationIndex,
  out: Float64Array,
): Float64Array {
  const related = state.related.get(candidate.item) ?? 0;
  out[0] = 1;
  out[1] = sequence.score(state.shortTerm, candidate.item) / 10;
  out[2] = Math.log1p(10 * related);
  out[3] = related > 0 ? 1 : 0;
  out[4] = Math.log1p(coVisitation.count(candidate.item)) / 5;
  out[5] = candidate.rails.ann !== undefined ? 1 : 0;
  out[6] = candidate.rails.related !== undefined ? 1 : 0;
  out[7] = candidate.rails.trending !== undefined || candidate.rails.social !== undefined ? 1 : 0;
  // Short-term interest (signed: skips subtract), scaled by the user's strongest interest.
  const { interest } = state.context;
  const scale = state.interestMax > 0 ? 1 / state.interestMax : 0;
  let content = interest.get(`s:${candidate.audioId}`) ?? 0;
  for (const hashtag of candidate.hashtags) content += interest.get(`h:${hashtag}`) ?? 0;
  out[8] = (interest.get(`c:${candidate.creatorId}`) ?? 0) * scale;
  out[9] = Math.max(-1, Math.min(1, content * scale));
  return out;
}

const reciprocal = (rank: number | undefined) => (rank === undefined ? 0 : 1 / (1 + rank));

export function stage2Features(
  state: UserState,
  candidate: Candidate,
  sequence: SequenceModel,
  coVisitation: CoVisitationIndex,
  out: Float64Array,
): Float64Array {
  stage1Features(state, candidate, sequence, coVisitation, out);
  const short = out[1] as number;
  const related = out[2] as number;
  const popularity = out[4] as number;
  out[10] = sequence.score(state.longTerm, candidate.item) / 10;
  out[11] = reciprocal(candidate.rails.ann);
  out[12] = reciprocal(candidate.rails.related);
  out[13] = reciprocal(candidate.rails.trending);
  out[14] = candidate.rails.exploration !== undefined ? 1 : 0;
  out[15] = short * related;
  out[16] = short * popularity;
  out[17] = related * popularity;
  out[18] = short * short;
  out[19] = candidate.ageHours === undefined ? 0 : Math.exp(-Math.max(0, candidate.ageHours) / 24);
  out[20] = candidate.engagementRate ?? 0;
  out[21] = candidate.completionRate ?? 0;
  return out;
}
