import { CONTROL_ARM } from "../../../contracts/feed.schema";
import { hash32 } from "../../../contracts/hash";

/** Weights of `w1·p_complete + w2·p_like + w3·p_share + w4·p_follow − w5·p_skip − w6·repetition`. */
export interface HeadWeights {
  complete: number;
  like: number;
  share: number;
  follow: number;
  skip: number;
  repetition: number;
}

export interface RerankPolicy {
  /** α of the recency boost α·exp(−age_h/24), applied for the first `recencyHours`. */
  recencyAlpha: number;
  recencyHours: number;
  /** Every Nth position (1-based) is reserved for a fresh, under-exposed video; 0 turns it off. */
  freshEvery: number;
  freshMaxAgeHours: number;
  freshMaxExposures: number;
  /** At most this many consecutive videos from one creator. */
  maxCreatorRun: number;
  /** Score subtracted per recent item (within `diversityWindow`) sharing the sound / a hashtag. */
  soundPenalty: number;
  hashtagPenalty: number;
  diversityWindow: number;
}

export interface RankingConfig {
  weights: HeadWeights;
  policy: RerankPolicy;
  /** Candidates kept by stage 1. */
  stage1Keep: number;
  /** Videos written per user to `fyp:{user}`. */
  feedSize: number;
}

export const DEFAULT_RANKING_CONFIG: RankingConfig = {
  weights: { complete: 1, like: 2, share: 3, follow: 4, skip: 2, repetition: 0.1 },
  policy: {
    recencyAlpha: 0.1,
    recencyHours: 48,
    freshEvery: 5,
    freshMaxAgeHours: 48,
    freshMaxExposures: 500,
    maxCreatorRun: 2,
    soundPenalty: 0.02,
    hashtagPenalty: 0.01,
    diversityWindow: 3,
  },
  stage1Keep: 50,
  feedSize: 100,
};

/** One arm of an experiment: a share of users and the parts of the config it overrides. */
export interface ExperimentArm {
  name: string;
  /** Share of users in per-mille; arms are laid out in order, the rest get the control. */
  permille: number;
  weights?: Partial<HeadWeights>;
  policy?: Partial<RerankPolicy>;
}

export interface Experiment {
  /** Salts the hash, so two experiments split users independently. */
  name: string;
  arms: readonly ExperimentArm[];
}

/** The user's bucket in [0, 1000): a pure function of (experiment, user), stable everywhere. */
export function bucketOf(experiment: string, userId: string): number {
  return hash32(`${experiment}:${userId}`) % 1000;
}

/**
 * The config a user is ranked with, and the arm name to record on each impression
 * (`control` when no arm claims the user's bucket).
 */
export function configFor(
  base: RankingConfig,
  experiment: Experiment | undefined,
  userId: string,
): { config: RankingConfig; arm: string } {
  if (!experiment) return { config: base, arm: CONTROL_ARM };
  const bucket = bucketOf(experiment.name, userId);
  let start = 0;
  for (const arm of experiment.arms) {
    if (bucket < start + arm.permille) {
      return {
        config: {
          ...base,
          weights: { ...base.weights, ...arm.weights },
          policy: { ...base.policy, ...arm.policy },
        },
        arm: arm.name,
      };
    }
    start += arm.permille;
  }
  return { config: base, arm: CONTROL_ARM };
}
