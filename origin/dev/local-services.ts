import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OriginConfig, S3Config } from "../config/config";
import { type RunningBridge, startBridge } from "../redis-bridge/bridge.server";
import { type RunningRedis, startRedisServer } from "./redis-server";
import { type RunningS3, startS3Server } from "./s3-server";

export const LOCAL_BUCKET = "edgefeed-videos";
export const LOCAL_S3_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

/** The origin's S3 config for the loopback S3 server at `endpoint`. */
export function localS3Config(endpoint: string): S3Config {
  return { endpoint, region: "auto", bucket: LOCAL_BUCKET, ...LOCAL_S3_CREDENTIALS };
}

export interface LocalServices {
  redis: RunningRedis;
  s3: RunningS3;
  bridge: RunningBridge;
  bridgeToken: string;
  stop(): Promise<void>;
}

/**
 * The real servers the edge and origin depend on, on free loopback ports: redis-server, the
 * S3-compatible server and the Upstash REST bridge. Tests start them once per run.
 */
export async function startLocalServices(bridgeToken: string): Promise<LocalServices> {
  const s3Dir = mkdtempSync(join(tmpdir(), "edgefeed-s3-"));
  const started: { stop(): Promise<void> }[] = [];
  const start = async <T extends { stop(): Promise<void> }>(service: Promise<T>): Promise<T> => {
    const running = await service;
    started.push(running);
    return running;
  };
  let redis: RunningRedis;
  let s3: RunningS3;
  let bridge: RunningBridge;
  try {
    redis = await start(startRedisServer());
    s3 = await start(startS3Server({ directory: s3Dir, buckets: [LOCAL_BUCKET] }));
    bridge = await start(startBridge({ redisUrl: redis.url, token: bridgeToken }));
  } catch (error) {
    // A half-started set must not leave a redis-server behind.
    await Promise.allSettled(started.map((service) => service.stop()));
    rmSync(s3Dir, { recursive: true, force: true });
    throw error;
  }
  return {
    redis,
    s3,
    bridge,
    bridgeToken,
    async stop() {
      await bridge.stop();
      await Promise.all([redis.stop(), s3.stop()]);
      rmSync(s3Dir, { recursive: true, force: true });
    },
  };
}

/** An origin config for in-process use against these services; port 0 picks a free port. */
export function localOriginConfig(services: LocalServices, sharedSecret: string): OriginConfig {
  return {
    redisUrl: services.redis.url,
    originPort: 0,
    sharedSecret,
    s3: localS3Config(services.s3.endpoint),
  };
}
