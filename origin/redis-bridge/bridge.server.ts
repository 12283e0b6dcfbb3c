import { serve } from "@hono/node-server";
import { Redis } from "ioredis";
import { createBridgeApp } from "./bridge.app";
import { RedisExecutor } from "./redis-executor";

export interface BridgeServerOptions {
  redisUrl: string;
  token: string;
  port?: number;
}

export interface RunningBridge {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts the Upstash REST bridge on loopback in front of the Redis server at `redisUrl`. */
export async function startBridge(options: BridgeServerOptions): Promise<RunningBridge> {
  // No offline queue and no retries: while Redis is down a request fails at once with 503
  // instead of hanging, so the edge's health check and fallbacks see the outage.
  const redis = new Redis(options.redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
  });
  await redis.connect();
  const app = createBridgeApp({ executor: new RedisExecutor(redis), token: options.token });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: options.port ?? 0 }, () =>
      resolve(s),
    );
  });
  const address = server.address();
  const port = address && typeof address === "object" ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      redis.disconnect();
    },
  };
}
