import { availableParallelism } from "node:os";
import * as v from "valibot";
import { describeIssue } from "../../contracts/error.schema";
import { ArmSchema, CONTROL_ARM } from "../../contracts/feed.schema";
import { CheckpointKeys, UploadStreams } from "../../contracts/keyspace";
import type { Experiment, HeadWeights, RerankPolicy } from "../ranking/config/ranking.config";

const port = v.pipe(
  v.string(),
  v.transform(Number),
  v.integer("must be an integer"),
  v.minValue(0),
  v.maxValue(65535),
);
const url = v.pipe(v.string(), v.url("must be a URL"));
const secret = v.pipe(v.string(), v.minLength(8, "must be at least 8 characters"));

const RedisEnv = { REDIS_URL: v.optional(url, "redis://127.0.0.1:6379") };

const S3Env = {
  S3_ENDPOINT: url,
  S3_REGION: v.optional(v.string(), "auto"),
  S3_ACCESS_KEY_ID: v.string(),
  S3_SECRET_ACCESS_KEY: v.string(),
  S3_BUCKET: v.optional(v.string(), "edgefeed-videos"),
};

const CheckpointEnv = {
  RANKER_CHECKPOINT_PREFIX: v.optional(v.pipe(v.string(), v.minLength(1)), CheckpointKeys.prefix),
};

/** The api role's variables: the bridge's token is the dev bridge's alone. */
const ApiEnvSchema = v.object({
  ...RedisEnv,
  ORIGIN_PORT: v.optional(port, "8788"),
  ORIGIN_SHARED_SECRET: secret,
  METRICS_TOKEN: v.optional(secret),
  ...S3Env,
  ...CheckpointEnv,
  RANK_MODEL_SYNC_MS: v.optional(
    v.pipe(
      v.string(),
      v.transform(Number),
      v.integer("must be an integer"),
      v.minValue(100, "must be at least 100"),
    ),
    "10000",
  ),
});

const BridgeEnvSchema = v.object({
  ...RedisEnv,
  UPSTASH_REDIS_REST_TOKEN: secret,
  BRIDGE_PORT: v.optional(port, "8079"),
});

const StorageEnvSchema = v.object({ ...RedisEnv, ...S3Env });

const RankerStorageEnvSchema = v.object({ ...RedisEnv, ...S3Env, ...CheckpointEnv });

function parseEnv<T extends v.GenericSchema<unknown, unknown>>(
  schema: T,
  env: NodeJS.ProcessEnv,
): v.InferOutput<T> {
  const parsed = v.safeParse(schema, env);
  if (parsed.success) return parsed.output;
  // A variable is a string or absent: an issue without input is a missing variable.
  const [issue] = parsed.issues;
  if (issue.input === undefined && v.getDotPath(issue)) {
    throw new ConfigError(`environment variable ${v.getDotPath(issue)}: is required`);
  }
  throw new ConfigError(`environment variable ${describeIssue(parsed.issues)}`);
}

const s3From = (e: v.InferOutput<typeof StorageEnvSchema>): S3Config => ({
  endpoint: e.S3_ENDPOINT,
  region: e.S3_REGION,
  accessKeyId: e.S3_ACCESS_KEY_ID,
  secretAccessKey: e.S3_SECRET_ACCESS_KEY,
  bucket: e.S3_BUCKET,
});

export interface S3Config {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
}

export interface OriginConfig {
  redisUrl: string;
  originPort: number;
  sharedSecret: string;
  /** `METRICS_TOKEN`: what scrapers of `/metrics` send as a bearer token; unset, it is off. */
  metricsToken?: string;
  s3: S3Config;
  /** Uploads and transcoding; defaults from loadMediaConfig({}) when absent. */
  media?: MediaConfig;
  /** Where ranker checkpoints live in the bucket (`{prefix}v{n}.bin`); `models/ranker/` if absent. */
  rankerCheckpointPrefix?: string;
  /** How often the api role picks up new uploads and checkpoints for `/v1/rank`; 10 s if absent. */
  rankModelSyncMs?: number;
  /** The A/B experiment both the api and the ranker rank under; absent: everyone is control. */
  rankingExperiment?: Experiment;
}

const count = v.pipe(
  v.string(),
  v.transform(Number),
  v.integer("must be an integer"),
  v.minValue(1, "must be at least 1"),
);

const MediaEnvSchema = v.object({
  FFMPEG_PATH: v.optional(v.pipe(v.string(), v.minLength(1)), "ffmpeg"),
  FFPROBE_PATH: v.optional(v.pipe(v.string(), v.minLength(1)), "ffprobe"),
  UPLOAD_MAX_BYTES: v.optional(count, String(300 * 1024 * 1024)),
  TRANSCODE_STREAM: v.optional(v.pipe(v.string(), v.minLength(1)), UploadStreams.jobs),
  TRANSCODE_CLAIM_IDLE_MS: v.optional(count, "60000"),
  TRANSCODE_MAX_ATTEMPTS: v.optional(count, "3"),
});

/** The content path: the api role's tus uploads and the `transcode` role. */
export interface MediaConfig {
  ffmpegPath: string;
  ffprobePath: string;
  uploadMaxBytes: number;
  /** The jobs stream; unique per test so test files don't take each other's jobs. */
  transcodeStream: string;
  /** A job pending this long with no heartbeat belongs to a crashed worker and is reclaimed. */
  claimIdleMs: number;
  maxAttempts: number;
}

const FeaturesEnvSchema = v.object({
  REDIS_URL: v.optional(url, "redis://127.0.0.1:6379"),
  EVENT_PARTITIONS: v.optional(v.pipe(count, v.maxValue(1024)), "8"),
  FEATURES_BATCH_SIZE: v.optional(count, "500"),
  FEATURES_KEY_PREFIX: v.optional(v.string(), ""),
  FEATURES_LEASE_MS: v.optional(v.pipe(count, v.minValue(100)), "10000"),
  FEATURES_TRENDING_MS: v.optional(count, "30000"),
  FEATURES_CONSUMER: v.optional(v.pipe(v.string(), v.minLength(1))),
});

/** The `features` role: the stream consumer that maintains the online feature store. */
export interface FeaturesConfig {
  redisUrl: string;
  /** P of `ev:{hash(user) mod P}`; must equal the edge's EVENT_PARTITIONS var. */
  partitions: number;
  /** Stream entries read and committed at once per partition. */
  batchSize: number;
  /** Prepended to every key the processor touches; empty in production, unique per test. */
  keyPrefix: string;
  /** How long a partition stays owned by a consumer that stopped renewing it. */
  leaseMs: number;
  /** Least time between two recomputations of `trending:{region}`. */
  trendingIntervalMs: number;
  /** This consumer's name in the group; unique per process unless set. */
  consumer: string | undefined;
}

const SamplerEnvSchema = v.object({
  REDIS_URL: FeaturesEnvSchema.entries.REDIS_URL,
  EVENT_PARTITIONS: FeaturesEnvSchema.entries.EVENT_PARTITIONS,
  FEATURES_KEY_PREFIX: FeaturesEnvSchema.entries.FEATURES_KEY_PREFIX,
  TRANSCODE_STREAM: MediaEnvSchema.entries.TRANSCODE_STREAM,
  // At least two readings land in every minute, so a failed one leaves no hole in the chart.
  SAMPLER_INTERVAL_MS: v.optional(
    v.pipe(count, v.minValue(1_000), v.maxValue(30_000, "must be at most 30000")),
    "10000",
  ),
});

/** The `sampler` role: reads the gauges of the features and transcode roles' streams. */
export interface SamplerConfig {
  redisUrl: string;
  /** Must equal the edge's EVENT_PARTITIONS var, like the features role's. */
  partitions: number;
  /** The features role's key prefix: empty in production. */
  keyPrefix: string;
  /** The transcode role's jobs stream. */
  transcodeStream: string;
  /** How often a reading is written into the current minute's hash. */
  intervalMs: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** The `bridge` role (local development only): Upstash REST in front of Redis. */
export interface BridgeConfig {
  redisUrl: string;
  token: string;
  port: number;
}

/** What the roles that only move data between Redis and the bucket need. */
export type StorageConfig = Pick<OriginConfig, "redisUrl" | "s3">;

/** The `transcode` role: the jobs stream in Redis, originals and renditions in the bucket. */
export interface TranscodeConfig extends StorageConfig {
  media: MediaConfig;
}

/** The `ranker` role's stores: Redis, the bucket (checkpoints, the archive) and the experiment. */
export type RankerStorageConfig = Pick<
  OriginConfig,
  "redisUrl" | "s3" | "rankerCheckpointPrefix" | "rankingExperiment"
>;

/**
 * The `api` role's config (also what origin/dev's seed reads). origin/config/ is the one place that
 * reads the origin's environment; everything else is handed its config.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): OriginConfig {
  const e = parseEnv(ApiEnvSchema, env);
  return {
    redisUrl: e.REDIS_URL,
    originPort: e.ORIGIN_PORT,
    sharedSecret: e.ORIGIN_SHARED_SECRET,
    ...(e.METRICS_TOKEN ? { metricsToken: e.METRICS_TOKEN } : {}),
    s3: s3From(e),
    media: loadMediaConfig(env),
    rankerCheckpointPrefix: e.RANKER_CHECKPOINT_PREFIX,
    rankModelSyncMs: e.RANK_MODEL_SYNC_MS,
    rankingExperiment: loadExperiment(env.RANKING_EXPERIMENT),
  };
}

export function loadBridgeConfig(env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  const e = parseEnv(BridgeEnvSchema, env);
  return { redisUrl: e.REDIS_URL, token: e.UPSTASH_REDIS_REST_TOKEN, port: e.BRIDGE_PORT };
}

export function loadStorageConfig(env: NodeJS.ProcessEnv = process.env): StorageConfig {
  const e = parseEnv(StorageEnvSchema, env);
  return { redisUrl: e.REDIS_URL, s3: s3From(e) };
}

export function loadTranscodeConfig(env: NodeJS.ProcessEnv = process.env): TranscodeConfig {
  return { ...loadStorageConfig(env), media: loadMediaConfig(env) };
}

export function loadRankerStorageConfig(env: NodeJS.ProcessEnv = process.env): RankerStorageConfig {
  const e = parseEnv(RankerStorageEnvSchema, env);
  return {
    redisUrl: e.REDIS_URL,
    s3: s3From(e),
    rankerCheckpointPrefix: e.RANKER_CHECKPOINT_PREFIX,
    rankingExperiment: loadExperiment(env.RANKING_EXPERIMENT),
  };
}

const WorkersEnvSchema = v.object({
  ORIGIN_API_WORKERS: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, "must be a whole number of worker processes"),
      v.transform(Number),
      v.minValue(1, "must be at least 1"),
      v.maxValue(1024, "must be at most 1024"),
    ),
  ),
});

/** `ORIGIN_API_WORKERS`: how many processes serve the api role; one per core unless set. */
export function apiWorkerCount(env: NodeJS.ProcessEnv = process.env): number {
  return parseEnv(WorkersEnvSchema, env).ORIGIN_API_WORKERS ?? availableParallelism();
}

const nonNegative = v.pipe(
  v.number("must be a number"),
  v.finite("must be a finite number"),
  v.minValue(0, "must be at least 0"),
);
const wholeFrom = (min: number) =>
  v.pipe(
    v.number("must be a number"),
    v.integer("must be an integer"),
    v.minValue(min, `must be at least ${min}`),
  );
/** One message for an object's own issues: not an object, a required field missing, an unknown one. */
const objectIssue = (issue: v.BaseIssue<unknown>) =>
  issue.expected === "Object"
    ? "must be an object"
    : issue.expected === "never"
      ? "is not a known field"
      : "is required";
/** Objects whose every field is optional and whose unknown fields are refused (a typo is an error). */
const overrides = <T extends Record<string, v.GenericSchema<unknown, number>>>(fields: T) =>
  v.partial(v.strictObject(fields, objectIssue));

const ExperimentSchema = v.object(
  {
    name: v.pipe(v.string("must be a string"), v.minLength(1, "must not be empty")),
    arms: v.pipe(
      v.array(
        v.object(
          {
            name: v.pipe(
              ArmSchema,
              v.check(
                (name) => name !== CONTROL_ARM,
                `${CONTROL_ARM} is reserved for unclaimed users`,
              ),
            ),
            permille: v.pipe(wholeFrom(0), v.maxValue(1000, "must be at most 1000")),
            weights: v.optional(
              overrides({
                complete: nonNegative,
                like: nonNegative,
                share: nonNegative,
                follow: nonNegative,
                skip: nonNegative,
                repetition: nonNegative,
              } satisfies Record<keyof HeadWeights, v.GenericSchema<unknown, number>>),
            ),
            policy: v.optional(
              overrides({
                recencyAlpha: nonNegative,
                recencyHours: nonNegative,
                freshEvery: wholeFrom(0),
                freshMaxAgeHours: nonNegative,
                freshMaxExposures: nonNegative,
                maxCreatorRun: wholeFrom(1),
                soundPenalty: nonNegative,
                hashtagPenalty: nonNegative,
                diversityWindow: wholeFrom(0),
              } satisfies Record<keyof RerankPolicy, v.GenericSchema<unknown, number>>),
            ),
          },
          objectIssue,
        ),
        "must be an array",
      ),
      v.check(
        (arms) => arms.reduce((sum, arm) => sum + arm.permille, 0) <= 1000,
        "permilles must sum to at most 1000",
      ),
      v.check(
        (arms) => new Set(arms.map((arm) => arm.name)).size === arms.length,
        "arm names must differ",
      ),
    ),
  },
  objectIssue,
);

/**
 * `RANKING_EXPERIMENT`, JSON `{name, arms: [{name, permille, weights?, policy?}]}`: arms take
 * consecutive per-mille slices of the users' buckets, the rest stay control.
 */
function loadExperiment(json: string | undefined): Experiment | undefined {
  if (json === undefined || json.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new ConfigError("environment variable RANKING_EXPERIMENT: must be JSON");
  }
  const parsed = v.safeParse(ExperimentSchema, value);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = (issue.path ?? [])
      .map((item) => (typeof item.key === "number" ? `[${item.key}]` : `.${String(item.key)}`))
      .join("");
    throw new ConfigError(`environment variable RANKING_EXPERIMENT${path}: ${issue.message}`);
  }
  return parsed.output;
}

/** Every day trained on is listed and read again at each daily reread: a quarter is plenty. */
const MAX_TRAIN_DAYS = 90;

const RankerEnvSchema = v.object({
  RANKER_CHECKPOINT_MS: v.optional(count, "300000"),
  RANKER_TRAIN_MS: v.optional(count, "600000"),
  RANKER_EXPLORE_MS: v.optional(count, "30000"),
  EXPLORE_REGIONS: v.optional(
    v.pipe(v.string(), v.regex(/^[a-z0-9,-]+$/, "must be a comma-separated list")),
    "eu",
  ),
  RANKER_REPLICA: v.optional(
    v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,32}$/, "must be 1–32 of A-Z a-z 0-9 _ -")),
    "0",
  ),
  RANKER_TRAIN_DAYS: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, "must be a whole number of days (0 turns archive training off)"),
      v.transform(Number),
      v.maxValue(MAX_TRAIN_DAYS, `must be at most ${MAX_TRAIN_DAYS}`),
    ),
    "7",
  ),
});

/** The `ranker` role's schedule; everything else it shares with the origin and features configs. */
export interface RankerConfig {
  checkpointMs: number;
  trainMs: number;
  exploreMs: number;
  /** Regions whose `explore:{region}` is written even before any event names them. */
  exploreRegions: string[];
  /** This replica's stable name: its consumer group on `ev:{p}` (every replica sees every event). */
  replica: string;
  /** UTC days of the event archive each retrain learns from; 0: active users' histories only. */
  trainDays: number;
}

export function loadRankerConfig(env: NodeJS.ProcessEnv = process.env): RankerConfig {
  const e = parseEnv(RankerEnvSchema, env);
  return {
    checkpointMs: e.RANKER_CHECKPOINT_MS,
    trainMs: e.RANKER_TRAIN_MS,
    exploreMs: e.RANKER_EXPLORE_MS,
    exploreRegions: e.EXPLORE_REGIONS.split(",").filter((r) => r.length > 0),
    replica: e.RANKER_REPLICA,
    trainDays: e.RANKER_TRAIN_DAYS,
  };
}

export function loadFeaturesConfig(env: NodeJS.ProcessEnv = process.env): FeaturesConfig {
  const e = parseEnv(FeaturesEnvSchema, env);
  return {
    redisUrl: e.REDIS_URL,
    partitions: e.EVENT_PARTITIONS,
    batchSize: e.FEATURES_BATCH_SIZE,
    keyPrefix: e.FEATURES_KEY_PREFIX,
    leaseMs: e.FEATURES_LEASE_MS,
    trendingIntervalMs: e.FEATURES_TRENDING_MS,
    consumer: e.FEATURES_CONSUMER,
  };
}

export function loadMediaConfig(env: NodeJS.ProcessEnv = process.env): MediaConfig {
  const e = parseEnv(MediaEnvSchema, env);
  return {
    ffmpegPath: e.FFMPEG_PATH,
    ffprobePath: e.FFPROBE_PATH,
    uploadMaxBytes: e.UPLOAD_MAX_BYTES,
    transcodeStream: e.TRANSCODE_STREAM,
    claimIdleMs: e.TRANSCODE_CLAIM_IDLE_MS,
    maxAttempts: e.TRANSCODE_MAX_ATTEMPTS,
  };
}

const wholeNumber = v.pipe(
  v.string(),
  v.regex(/^\d+$/, "must be a whole number"),
  v.transform(Number),
);

const DevStackEnvSchema = v.object({
  EDGEFEED_DEMO_VIDEOS: v.optional(v.pipe(wholeNumber, v.maxValue(10_000)), "240"),
  EDGEFEED_CROWD: v.optional(v.pipe(wholeNumber, v.maxValue(1_000)), "8"),
  ORIGIN_URL: v.optional(url),
});

/** The local stack's demo (`npm run dev`, `npm run seed`): catalog size and simulated crowd. */
export interface DevStackConfig {
  /** Demo videos seeded (EDGEFEED_DEMO_VIDEOS, default 240). */
  demoVideos: number;
  /** Simulated viewers started with the stack (EDGEFEED_CROWD, default 8; 0 turns it off). */
  crowdViewers: number;
  /** A running origin for `npm run seed` to upload to (ORIGIN_URL); else it starts its own. */
  originUrl: string | undefined;
}

export function loadDevStackConfig(env: NodeJS.ProcessEnv = process.env): DevStackConfig {
  const parsed = v.safeParse(DevStackEnvSchema, env);
  if (!parsed.success) {
    throw new ConfigError(`environment variable ${describeIssue(parsed.issues)}`);
  }
  const e = parsed.output;
  return {
    demoVideos: e.EDGEFEED_DEMO_VIDEOS,
    crowdViewers: e.EDGEFEED_CROWD,
    originUrl: e.ORIGIN_URL,
  };
}

export function loadSamplerConfig(env: NodeJS.ProcessEnv = process.env): SamplerConfig {
  const e = parseEnv(SamplerEnvSchema, env);
  return {
    redisUrl: e.REDIS_URL,
    partitions: e.EVENT_PARTITIONS,
    keyPrefix: e.FEATURES_KEY_PREFIX,
    transcodeStream: e.TRANSCODE_STREAM,
    intervalMs: e.SAMPLER_INTERVAL_MS,
  };
}
