import { describe, expect, it } from "vitest";
import { ConfigError } from "./config";
import { loadRoleConfig, type Role } from "./role.config";

const S3 = {
  S3_ENDPOINT: "http://127.0.0.1:9000",
  S3_ACCESS_KEY_ID: "key",
  S3_SECRET_ACCESS_KEY: "secret",
};

function failure(role: Role, env: NodeJS.ProcessEnv): string {
  try {
    loadRoleConfig(role, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error(`the ${role} role loaded`);
}

describe("per-role config", () => {
  it("bridge: needs the bridge's token and nothing of the origin's", () => {
    expect(failure("bridge", {})).toBe(
      "bridge role: environment variable UPSTASH_REDIS_REST_TOKEN: is required",
    );
    expect(loadRoleConfig("bridge", { UPSTASH_REDIS_REST_TOKEN: "token-123456" })).toEqual({
      redisUrl: "redis://127.0.0.1:6379",
      token: "token-123456",
      port: 8079,
    });
  });

  it("api: needs the shared secret and the bucket, not the bridge's token", () => {
    expect(failure("api", S3)).toBe(
      "api role: environment variable ORIGIN_SHARED_SECRET: is required",
    );
    const { origin } = loadRoleConfig("api", {
      ...S3,
      ORIGIN_SHARED_SECRET: "secret-123456",
      ORIGIN_API_WORKERS: "2",
    });
    expect(origin.sharedSecret).toBe("secret-123456");
    expect(origin.media?.transcodeStream).toBe("uploads");
    expect(origin.rankerCheckpointPrefix).toBe("models/ranker/");
    expect(
      failure("api", { ...S3, ORIGIN_SHARED_SECRET: "secret-123456", ORIGIN_API_WORKERS: "0" }),
    ).toBe("api role: environment variable ORIGIN_API_WORKERS: must be at least 1");
  });

  it("features: needs nothing but refuses a bad partition count", () => {
    expect(loadRoleConfig("features", {}).partitions).toBe(8);
    expect(failure("features", { EVENT_PARTITIONS: "many" })).toBe(
      "features role: environment variable EVENT_PARTITIONS: must be an integer",
    );
  });

  it("archive: needs the bucket, not the bridge's token or the shared secret", () => {
    expect(failure("archive", {})).toBe(
      "archive role: environment variable S3_ENDPOINT: is required",
    );
    expect(loadRoleConfig("archive", S3).storage.s3.bucket).toBe("edgefeed-videos");
  });

  it("transcode: needs the bucket's keys, not the bridge's token or the shared secret", () => {
    const { S3_ACCESS_KEY_ID: _, ...withoutKey } = S3;
    expect(failure("transcode", withoutKey)).toBe(
      "transcode role: environment variable S3_ACCESS_KEY_ID: is required",
    );
    expect(loadRoleConfig("transcode", S3).media.maxAttempts).toBe(3);
  });

  it("ranker: needs the bucket's secret key, not the bridge's token or the shared secret", () => {
    const { S3_SECRET_ACCESS_KEY: _, ...withoutSecret } = S3;
    expect(failure("ranker", withoutSecret)).toBe(
      "ranker role: environment variable S3_SECRET_ACCESS_KEY: is required",
    );
    const config = loadRoleConfig("ranker", { ...S3, RANKER_REPLICA: "b" });
    expect(config.storage.rankerCheckpointPrefix).toBe("models/ranker/");
    expect(config.ranker.replica).toBe("b");
  });

  it("sampler: needs nothing but Redis, and samples at least twice a minute", () => {
    expect(loadRoleConfig("sampler", {})).toEqual({
      redisUrl: "redis://127.0.0.1:6379",
      partitions: 8,
      keyPrefix: "",
      transcodeStream: "uploads",
      intervalMs: 10_000,
    });
    expect(failure("sampler", { SAMPLER_INTERVAL_MS: "60000" })).toBe(
      "sampler role: environment variable SAMPLER_INTERVAL_MS: must be at most 30000",
    );
  });
});
