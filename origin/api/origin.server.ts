import { serve } from "@hono/node-server";
import { Redis } from "ioredis";
import { loadMediaConfig, type OriginConfig } from "../config/config";
import { DEFAULT_CHECKPOINT_PREFIX, startServingModel } from "../ranker/serving.provider";
import { createS3Client } from "../storage/s3.client";
import { createOriginApp } from "./origin.app";

export interface RunningOrigin {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts the origin API on loopback. Port 0 picks a free port (tests). */
export async function startOrigin(
  config: OriginConfig,
  port = config.originPort,
): Promise<RunningOrigin> {
  const redis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const s3 = createS3Client(config.s3);
  const media = config.media ?? loadMediaConfig({});
  const model = startServingModel(redis, {
    s3,
    bucket: config.s3.bucket,
    prefix: config.rankerCheckpointPrefix ?? DEFAULT_CHECKPOINT_PREFIX,
  });
  const app = createOriginApp({
    redis,
    s3,
    bucket: config.s3.bucket,
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
      rank: { redis, sharedSecret: config.sharedSecret, model: model.get },
    },
  });
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
      await new Promise<void>((resolve) => server.close(() => resolve()));
      redis.disconnect();
      s3.destroy();
    },
  };
}
