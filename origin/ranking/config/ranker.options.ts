import type { S3Client } from "@aws-sdk/client-s3";
import { DEFAULT_REPLICA } from "../../../contracts/keyspace";
import { ARCHIVE_EVENTS_PREFIX } from "../leader/archive.sessions";
import { DEFAULT_EXPLORE, type ExploreOptions } from "../leader/explore.writer";
import { DEFAULT_FOR_YOU_TIMING, type ForYouTiming } from "../serving/for-you.writer";
import { DEFAULT_RANKING_CONFIG, type Experiment, type RankingConfig } from "./ranking.config";

export interface RankerServiceOptions {
  redisUrl: string;
  s3: S3Client;
  bucket: string;
  module: WebAssembly.Module;
  /** Empty in production; unique per test. */
  keyPrefix: string;
  partitions: number;
  uploadStream: string;
  checkpointPrefix: string;
  consumer?: string;
  /**
   * This replica's stable name (RANKER_REPLICA): its own consumer group, so every replica sees
   * every event. Replicas share the due queue; one of them, the lease holder, writes artefacts.
   */
  replica: string;
  /** The leader's lease; it renews every tick, so this must be several ticks long. */
  leaseMs: number;
  /** Scheduler period: due users, new uploads, newer checkpoints. */
  tickMs: number;
  checkpointMs: number;
  trainMs: number;
  trainEpochs: number;
  /**
   * UTC days of the event archive each retrain learns from besides the active users' histories
   * (RANKER_TRAIN_DAYS); 0: the histories alone. Read on the leader's first retrain, then daily.
   */
  trainDays: number;
  /** Where the `archive` role writes event segments; unique per test. */
  archivePrefix: string;
  exploreMs: number;
  /** Users with no event or request for this long stop being refreshed. */
  activeWindowMs: number;
  /** This many likes/skips within `burstWindowMs` make the user's feed due now. */
  burstThreshold: number;
  burstWindowMs: number;
  timing: ForYouTiming;
  ranking: RankingConfig;
  /** The A/B experiment users are ranked under (RANKING_EXPERIMENT); absent: everyone is control. */
  experiment?: Experiment;
  explore: ExploreOptions;
}

/** The background ranker's config for the precomputed feed: 100 videos, stage 1 keeps 150. */
export const RANKER_RANKING: RankingConfig = {
  ...DEFAULT_RANKING_CONFIG,
  stage1Keep: 150,
  feedSize: 100,
};

export const DEFAULT_RANKER_SERVICE = {
  consumer: undefined,
  replica: DEFAULT_REPLICA,
  leaseMs: 15_000,
  tickMs: 1_000,
  checkpointMs: 5 * 60_000,
  trainMs: 10 * 60_000,
  trainEpochs: 2,
  trainDays: 7,
  archivePrefix: ARCHIVE_EVENTS_PREFIX,
  exploreMs: 30_000,
  activeWindowMs: 30 * 60_000,
  burstThreshold: 3,
  burstWindowMs: 60_000,
  timing: DEFAULT_FOR_YOU_TIMING,
  ranking: RANKER_RANKING,
  explore: DEFAULT_EXPLORE,
} as const;

/** What one ranker process has done since start; each job counts its own. */
export interface RankerStats {
  events: number;
  learned: number;
  refreshes: number;
  checkpoints: number;
}
