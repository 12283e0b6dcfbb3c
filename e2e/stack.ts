import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Redis } from "ioredis";
import { MAX_EVENTS_PER_BATCH } from "../contracts/event.schema";
import { CatalogKeys } from "../contracts/keyspace";
import type { ManagedChild } from "../origin/dev/child-process";
import { freePort, waitForPort } from "../origin/dev/free-port";
import { LOCAL_BUCKET, localS3Config } from "../origin/dev/local-services";
import { type RunningRedis, startRedisServer } from "../origin/dev/redis-server";
import { type RunningS3, startS3Server } from "../origin/dev/s3-server";
import { seedDemoCatalog } from "../origin/dev/seed-demo";
import {
  originEnvironment,
  spawnEdge,
  spawnRole,
  waitForHealthy,
} from "../origin/dev/stack-processes";

export interface E2EStack {
  edgeUrl: string;
  redisUrl: string;
  adminToken: string;
  region: string;
  videoIds: string[];
  stop(): Promise<void>;
}

const repoRoot = resolve(import.meta.dirname, "..");
const REGION = "eu";
const SECRET = "e2e-shared-secret-0123";

/**
 * The whole local stack for the browser tests, isolated from `npm run dev`: its own free ports
 * and a throwaway state folder, a freshly seeded demo catalog (small 3 s clips, which transcode
 * fastest; their renders are cached in .dev-stack/demo-clips), the ranker keeping each viewer's
 * feed, and the features role refreshing trending every 2 s so the fallback feed reflects the
 * tests' own traffic.
 */
export async function startE2EStack(options: { videos?: number } = {}): Promise<E2EStack> {
  const state = mkdtempSync(join(tmpdir(), "edgefeed-e2e-"));
  const children: ManagedChild[] = [];
  let redis: RunningRedis | undefined;
  let s3: RunningS3 | undefined;
  const stop = async () => {
    for (const child of [...children].reverse()) await child.stop();
    await s3?.stop();
    await redis?.stop();
    rmSync(state, { recursive: true, force: true });
  };
  try {
    execFileSync(process.execPath, [join(repoRoot, "web/build.mjs")], { stdio: "ignore" });
    redis = await startRedisServer({ dataDir: join(state, "redis") });
    s3 = await startS3Server({ directory: join(state, "s3"), buckets: [LOCAL_BUCKET] });
    const [bridgePort, originPort, edgePort, inspectorPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const bridgeToken = "e2e-bridge-token-0123";
    const adminToken = "e2e-admin-token-0123";
    const originUrl = `http://127.0.0.1:${originPort}`;
    const originEnv = originEnvironment(
      {
        redisUrl: redis.url,
        s3Endpoint: s3.endpoint,
        bridgeToken,
        bridgePort,
        originPort,
        sharedSecret: SECRET,
      },
      { FEATURES_TRENDING_MS: "2000" },
    );
    // The sampler, so the dashboard's gauge charts have readings as in production.
    for (const role of ["bridge", "api", "features", "ranker", "sampler"]) {
      children.push(spawnRole(role, originEnv));
    }
    await Promise.all([waitForPort(bridgePort), waitForPort(originPort)]);
    const videoIds = await seedDemoCatalog({
      redisUrl: redis.url,
      s3: localS3Config(s3.endpoint),
      originUrl,
      sharedSecret: SECRET,
      count: options.videos ?? 24,
      readyCount: options.videos ?? 24,
      catalog: { seconds: [3, 3], shortSide: 240 },
      // Transcoding is the seed's bottleneck; a second worker overlaps one's uploads with the other's ffmpeg.
      workers: 2,
    });

    children.push(
      spawnEdge({
        port: edgePort,
        inspectorPort,
        stateDir: state,
        vars: {
          UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${bridgePort}`,
          UPSTASH_REDIS_REST_TOKEN: bridgeToken,
          ORIGIN_URL: originUrl,
          ORIGIN_SHARED_SECRET: SECRET,
          SIGNING_SECRET: "e2e-signing-secret-0123",
          // The browser contexts and the crowd all sign in from loopback.
          SESSIONS_RATE_LIMIT: "10000",
          ADMIN_TOKEN: adminToken,
        },
        extraArgs: ["--log-level", "warn"],
      }),
    );
    const edgeUrl = `http://127.0.0.1:${edgePort}`;
    await waitForHealthy(`${edgeUrl}/healthz`, 90_000);
    await warmTrending(edgeUrl, redis.url, videoIds);
    return { edgeUrl, redisUrl: redis.url, adminToken, region: REGION, videoIds, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A fresh catalog has no trending set, and a new user's feed falls back to trending. Earlier
 * viewers are simulated through the real signal path: one session posts a play for every video,
 * and the features role turns that into `trending:{region}`.
 */
async function warmTrending(edgeUrl: string, redisUrl: string, videoIds: string[]): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    if ((await redis.zcard(CatalogKeys.trending(REGION))) > 0) return;
    const login = await fetch(`${edgeUrl}/v1/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ region: REGION }),
    });
    const { token } = (await login.json()) as { token: string };
    const events = videoIds.map((video_id, i) => ({
      id: `warm-${i}`,
      type: "play",
      video_id,
      ts: Date.now(),
    }));
    for (let start = 0; start < events.length; start += MAX_EVENTS_PER_BATCH) {
      const posted = await fetch(`${edgeUrl}/v1/events`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ events: events.slice(start, start + MAX_EVENTS_PER_BATCH) }),
      });
      if (posted.status !== 202) throw new Error(`warm-up events: ${posted.status}`);
    }
    const deadline = Date.now() + 30_000;
    while ((await redis.zcard(CatalogKeys.trending(REGION))) < videoIds.length) {
      if (Date.now() > deadline) throw new Error("trending did not fill from the warm-up events");
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    redis.disconnect();
  }
}
