import { serve } from "@hono/node-server";
import { Redis } from "ioredis";
import { loadMediaConfig, type OriginConfig } from "../config/config";
import { DEFAULT_CHECKPOINT_PREFIX, startServingModel } from "../ranking/serving/serving.provider";
import { createS3Client } from "../storage/s3.client";
import { createOriginApp } from "./origin.app";

export interface RunningOrigin {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * The client runs without an offline queue (a request must fail fast, not wait for Redis), so a
 * worker that listened before the connection is up would fail its first requests. Redis being
 * down must not keep the API from starting either (`/healthz` reports it), hence the bound.
 */
const REDIS_READY_WAIT_MS = 5_000;

function redisReady(redis: Redis, waitMs: number): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off("ready", done);
      resolve();
    };
    const timer = setTimeout(done, waitMs);
    redis.once("ready", done);
  });
}

function closeIdle(server: ReturnType<typeof serve>): void {
  if ("closeIdleConnections" in server) server.closeIdleConnections();
}

/** Starts the origin API on loopback. Port 0 picks a free port (tests). */
export async function startOrigin(
  config: OriginConfig,
  port = config.originPort,
): Promise<RunningOrigin> {
  const redis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const s3 = createS3Client(config.s3);
  const media = config.media ?? loadMediaConfig({});
  const model = startServingModel(
    redis,
    {
      s3,
      bucket: config.s3.bucket,
      prefix: config.rankerCheckpointPrefix ?? DEFAULT_CHECKPOINT_PREFIX,
    },
    config.rankModelSyncMs,
  );
  const app = createOriginApp({
    redis,
    s3,
    bucket: config.s3.bucket,
    ...(config.metricsToken ? { metricsToken: config.metricsToken } : {}),
    uploads: {
      redis,
      s3,
      s3Config: config.s3,
      sharedSecret: config.sharedSecret,
      maxBytes: media.uploadMaxBytes,
      jobsStream: media.transcodeStream,
    },
    serveMedia: { s3, bucket: config.s3.bucket, sharedSecret: config.sharedSecret },
    ranking: {
      refresh: { redis, sharedSecret: config.sharedSecret },
      rank: {
        redis,
        sharedSecret: config.sharedSecret,
        model: model.get,
        experiment: config.rankingExperiment,
      },
    },
  });
  await redisReady(redis, REDIS_READY_WAIT_MS);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port }, () => resolve(s));
  });
  const address = server.address();
  const boundPort = address && typeof address === "object" ? address.port : port;
  return {
    url: `http://127.0.0.1:${boundPort}`,
    port: boundPort,
    async stop() {
      model.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // close() waits for keep-alive sockets to time out (5 s); idle ones can go at once, and
      // busy ones become idle when their response ends.
      const idle = setInterval(() => closeIdle(server), 100);
      closeIdle(server);
      await closed;
      clearInterval(idle);
      redis.disconnect();
      s3.destroy();
    },
  };
}
