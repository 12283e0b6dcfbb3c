import * as v from "valibot";
import { describeIssue } from "../../contracts/error.schema";

const port = v.pipe(
  v.string(),
  v.transform(Number),
  v.integer("must be an integer"),
  v.minValue(0),
  v.maxValue(65535),
);
const url = v.pipe(v.string(), v.url("must be a URL"));
const secret = v.pipe(v.string(), v.minLength(8, "must be at least 8 characters"));

const EnvSchema = v.object({
  REDIS_URL: v.optional(url, "redis://127.0.0.1:6379"),
  UPSTASH_REDIS_REST_TOKEN: secret,
  BRIDGE_PORT: v.optional(port, "8079"),
  ORIGIN_PORT: v.optional(port, "8788"),
  ORIGIN_SHARED_SECRET: secret,
  S3_ENDPOINT: url,
  S3_REGION: v.optional(v.string(), "auto"),
  S3_ACCESS_KEY_ID: v.string(),
  S3_SECRET_ACCESS_KEY: v.string(),
  S3_BUCKET: v.optional(v.string(), "edgefeed-videos"),
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
  bridgeToken: string;
  bridgePort: number;
  originPort: number;
  sharedSecret: string;
  s3: S3Config;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** The one place that reads the origin's environment; everything else is handed an OriginConfig. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): OriginConfig {
  const parsed = v.safeParse(EnvSchema, env);
  if (!parsed.success) {
    throw new ConfigError(`environment variable ${describeIssue(parsed.issues)}`);
  }
  const e = parsed.output;
  return {
    redisUrl: e.REDIS_URL,
    bridgeToken: e.UPSTASH_REDIS_REST_TOKEN,
    bridgePort: e.BRIDGE_PORT,
    originPort: e.ORIGIN_PORT,
    sharedSecret: e.ORIGIN_SHARED_SECRET,
    s3: {
      endpoint: e.S3_ENDPOINT,
      region: e.S3_REGION,
      accessKeyId: e.S3_ACCESS_KEY_ID,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY,
      bucket: e.S3_BUCKET,
    },
  };
}
