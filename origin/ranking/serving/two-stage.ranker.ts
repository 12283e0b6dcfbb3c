import type { Candidate, UserContext } from "../candidate.types";
import type { RankingConfig } from "../config/ranking.config";
import { FtrlLogistic } from "../model/ftrl.model";
import type { SequenceModel } from "../model/sequence.model";
import type { CoVisitationIndex } from "../retrieval/co-visitation.index";
import {
  FEATURE,
  STAGE1_FEATURES,
  STAGE2_FEATURES,
  stage1Features,
  stage2Features,
  type UserState,
  userState,
} from "./ranking.features";
import { type Placed, rerank, type Scored } from "./rerank.policy";

export const HEADS = ["complete", "like", "share", "follow", "skip"] as const;
export type Head = (typeof HEADS)[number];

/** What one impression turned into; an absent head is unknown for this example, not 0. */
export type Outcome = Partial<Record<Head, 0 | 1>>;

export interface RankerModels {
  sequence: SequenceModel;
  coVisitation: CoVisitationIndex;
  stage1: FtrlLogistic;
  heads: Record<Head, FtrlLogistic>;
}

/**
 * Cold-start priors, before any outcome is learned: the short-term signals (next-video logit,
 * co-engagement, interest in the creator and sound/hashtags) raise every engagement head and
 * lower p_skip, so a new deployment already follows what the user just did.
 */
const ENGAGE_PRIOR = {
  [FEATURE.shortTerm]: 1,
  [FEATURE.related]: 1,
  [FEATURE.creatorAffinity]: 2,
  [FEATURE.contentAffinity]: 1,
};
const SKIP_PRIOR = { [FEATURE.creatorAffinity]: -2, [FEATURE.contentAffinity]: -1 };

export function freshRankerModels(
  sequence: SequenceModel,
  coVisitation: CoVisitationIndex,
): RankerModels {
  const heads = Object.fromEntries(
    HEADS.map((head) => [
      head,
      FtrlLogistic.withPrior(STAGE2_FEATURES, head === "skip" ? SKIP_PRIOR : ENGAGE_PRIOR),
    ]),
  ) as Record<Head, FtrlLogistic>;
  return {
    sequence,
    coVisitation,
    stage1: FtrlLogistic.withPrior(STAGE1_FEATURES, ENGAGE_PRIOR),
    heads,
  };
}

/** Stage 1 learns "engaged at all": any of these heads positive. */
const ENGAGED: readonly Head[] = ["complete", "like", "share", "follow"];

export interface RankOptions {
  /** Overloaded: order by stage 1 alone and skip the heads. */
  stage1Only?: boolean;
}

/**
 * The two stages over one user's candidates: a logistic stage 1 keeps the best `stage1Keep`,
 * multi-task heads score those, their weighted sum (minus repetition) is re-ranked by policy.
 */
export class TwoStageRanker {
  constructor(readonly models: RankerModels) {}

  state(context: UserContext): UserState {
    return userState(context, this.models.sequence, this.models.coVisitation);
  }

  stage1(state: UserState, candidates: readonly Candidate[], keep: number): Scored[] {
    const x = new Float64Array(STAGE1_FEATURES);
    const { sequence, coVisitation, stage1 } = this.models;
    const scored = candidates.map((candidate) => ({
      candidate,
      score: stage1.logit(stage1Features(state, candidate, sequence, coVisitation, x)),
    }));
    return topK(scored, keep);
  }

  stage2(state: UserState, kept: readonly Scored[], config: RankingConfig): Scored[] {
    const x = new Float64Array(STAGE2_FEATURES);
    const { sequence, coVisitation, heads } = this.models;
    const w = config.weights;
    const recent = state.context.recentCreators;
    return kept.map(({ candidate }) => {
      stage2Features(state, candidate, sequence, coVisitation, x);
      let repeats = 0;
      for (const creator of recent) if (creator === candidate.creatorId) repeats++;
      const score =
        w.complete * heads.complete.predict(x) +
        w.like * heads.like.predict(x) +
        w.share * heads.share.predict(x) +
        w.follow * heads.follow.predict(x) -
        w.skip * heads.skip.predict(x) -
        w.repetition * (recent.length > 0 ? repeats / recent.length : 0);
      return { candidate, score };
    });
  }

  rank(
    context: UserContext,
    candidates: readonly Candidate[],
    config: RankingConfig,
    options: RankOptions = {},
  ): Placed[] {
    const state = this.state(context);
    const kept = this.stage1(state, candidates, config.stage1Keep);
    const scored = options.stage1Only ? kept : this.stage2(state, kept, config);
    return rerank(scored, config.policy, config.feedSize);
  }

  /** One online step of both stages on an observed outcome, weighted by 1/sampling rate. */
  learn(state: UserState, candidate: Candidate, outcome: Outcome, importance = 1): void {
    const { sequence, coVisitation, stage1, heads } = this.models;
    const engaged = ENGAGED.some((head) => outcome[head] === 1) ? 1 : 0;
    const x1 = stage1Features(
      state,
      candidate,
      sequence,
      coVisitation,
      new Float64Array(STAGE1_FEATURES),
    );
    stage1.update(x1, engaged, importance);
    const x2 = stage2Features(
      state,
      candidate,
      sequence,
      coVisitation,
      new Float64Array(STAGE2_FEATURES),
    );
    for (const head of HEADS) {
      const label = outcome[head];
      if (label !== undefined) heads[head].update(x2, label, importance);
    }
  }
}

function topK(scored: Scored[], k: number): Scored[] {
  return scored.sort((a, b) => b.score - a.score).slice(0, k);
}
