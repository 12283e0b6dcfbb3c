import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { loadDevStackConfig, loadMediaConfig } from "../config/config";
import type { ManagedChild } from "./child-process";
import { crowdHelp, startDevCrowd } from "./dev-crowd";
import { freePort, waitForPort } from "./free-port";
import { LOCAL_BUCKET, localS3Config } from "./local-services";
import { missingPrerequisites, prerequisites } from "./prerequisites";
import { type RunningRedis, redisServerBinary, startRedisServer } from "./redis-server";
import { type RunningS3, startS3Server } from "./s3-server";
import { type DemoSeed, progressPrinter, startDemoSeed } from "./seed-demo";
import { originEnvironment, spawnEdge, spawnRole, waitForHealthy } from "./stack-processes";

// `npm run dev`: the whole stack on loopback — redis-server, the S3-compatible server, the
// Upstash REST bridge, the origin and `wrangler dev` — wired by environment. State persists in
// .dev-stack/ so a restart keeps the catalog; delete the folder to start clean.
const repoRoot = resolve(import.meta.dirname, "../..");
const stateDir = join(repoRoot, ".dev-stack");
const startedAt = Date.now();

interface Secrets {
  bridgeToken: string;
  signingSecret: string;
  originSecret: string;
  adminToken: string;
}

function loadSecrets(): Secrets {
  const file = join(stateDir, "secrets.json");
  const secret = () => randomBytes(24).toString("base64url");
  const fresh: Secrets = {
    bridgeToken: secret(),
    signingSecret: secret(),
    originSecret: secret(),
    adminToken: secret(),
  };
  // Kept across runs so sessions and dashboard links stay valid; a secret added to the stack
  // later is generated on the next start.
  const stored = existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as Partial<Secrets>)
    : {};
  const secrets = { ...fresh, ...stored };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/** The conventional port when it is free, so URLs stay the same between runs; else any free one. */
async function preferredPort(port: number): Promise<number> {
  const free = await new Promise<boolean>((done) => {
    const server = createServer();
    server.once("error", () => done(false));
    server.listen(port, "127.0.0.1", () => server.close(() => done(true)));
  });
  return free ? port : freePort();
}

const children: ManagedChild[] = [];
let redis: RunningRedis | undefined;
let s3: RunningS3 | undefined;
let seed: DemoSeed | undefined;
let crowd: { stop(): Promise<void> } | undefined;
let stopping = false;

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log("\nstopping the stack…");
  await crowd?.stop();
  await seed?.stop();
  for (const child of [...children].reverse()) await child.stop();
  await s3?.stop();
  await redis?.stop();
  process.exit(code);
}

async function main(): Promise<void> {
  const media = loadMediaConfig();
  const missing = missingPrerequisites(
    prerequisites({
      redisServer: redisServerBinary(),
      ffmpeg: media.ffmpegPath,
      ffprobe: media.ffprobePath,
    }),
  );
  if (missing.length > 0) {
    for (const line of missing) console.error(line);
    process.exit(1);
  }
  mkdirSync(stateDir, { recursive: true });
  const secrets = loadSecrets();
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    // `on`, not `once`: a second Ctrl-C while stopping must not kill this process before its
    // children (wrangler runs in a process group of its own and would be left behind).
    process.on(signal, () => void shutdown(0));
  }

  redis = await startRedisServer({ dataDir: join(stateDir, "redis") });
  s3 = await startS3Server({ directory: join(stateDir, "s3"), buckets: [LOCAL_BUCKET] });

  const bridgePort = await preferredPort(8079);
  const originPort = await preferredPort(8788);
  const edgePort = await preferredPort(8787);
  const bridgeUrl = `http://127.0.0.1:${bridgePort}`;
  const originUrl = `http://127.0.0.1:${originPort}`;
  const edgeUrl = `http://127.0.0.1:${edgePort}`;

  const originEnv = originEnvironment(
    {
      redisUrl: redis.url,
      s3Endpoint: s3.endpoint,
      bridgeToken: secrets.bridgeToken,
      bridgePort,
      originPort,
      sharedSecret: secrets.originSecret,
    },
    // One operator locally: the dashboard's token also opens the origin's /metrics.
    { METRICS_TOKEN: secrets.adminToken },
  );

  const onUnexpectedExit = (child: ManagedChild) =>
    child.process.once("exit", (code, signal) => {
      if (stopping) return;
      console.error(`${child.name} exited unexpectedly (${signal ?? `code ${code}`})`);
      void shutdown(1);
    });

  // bridge and api serve HTTP; features, archive, transcode and ranker consume streams; sampler
  // records the dashboard's gauges.
  for (const name of ["bridge", "api", "features", "archive", "transcode", "ranker", "sampler"]) {
    const child = spawnRole(name, originEnv);
    children.push(child);
    onUnexpectedExit(child);
  }
  await Promise.all([waitForPort(bridgePort), waitForPort(originPort)]);

  // Through the real upload path: tus into the origin, transcoded by the `transcode` role and a
  // second worker in this process (the transcode is the seed's bottleneck). The first clips go
  // live before the edge starts; the rest of the catalog fills in behind it. Rendered clips are
  // cached in .dev-stack/demo-clips, so a restart only re-uploads them (dedup by SHA-256).
  const demo = loadDevStackConfig();
  const printer = progressPrinter();
  seed = startDemoSeed({
    redisUrl: redis.url,
    s3: localS3Config(s3.endpoint),
    originUrl,
    sharedSecret: secrets.originSecret,
    count: demo.demoVideos,
    onProgress: printer.print,
  });
  seed.done.then(
    (ids) => {
      if (stopping) return;
      printer.setInPlace(false);
      console.log(`demo catalog: ${ids.length} videos live (${secondsSince(startedAt)} s)`);
    },
    (error: unknown) =>
      console.error("demo catalog:", error instanceof Error ? error.message : error),
  );
  await seed.ready;
  if (stopping) return;
  // From here other processes print too: one progress line per tenth instead of one in place.
  printer.setInPlace(false);
  const viewers = process.argv.includes("--no-crowd") ? 0 : demo.crowdViewers;

  const edge = spawnEdge({
    port: edgePort,
    inspectorPort: await freePort(),
    stateDir,
    vars: {
      UPSTASH_REDIS_REST_URL: bridgeUrl,
      UPSTASH_REDIS_REST_TOKEN: secrets.bridgeToken,
      ORIGIN_URL: originUrl,
      ORIGIN_SHARED_SECRET: secrets.originSecret,
      SIGNING_SECRET: secrets.signingSecret,
      ADMIN_TOKEN: secrets.adminToken,
    },
    // A line per request is unreadable with the crowd's few dozen a second.
    extraArgs: viewers > 0 ? ["--log-level", "warn"] : [],
  });
  children.push(edge);
  onUnexpectedExit(edge);
  await waitForHealthy(`${edgeUrl}/healthz`, 90_000);
  if (stopping) return;
  if (viewers > 0) crowd = startDevCrowd(edgeUrl, viewers);

  console.log(
    [
      "",
      `edgefeed is up (${secondsSince(startedAt)} s after start):`,
      // Passkeys need a host name: the browser refuses an IP address as the relying party.
      `  viewer app            ${edgeUrl.replace("127.0.0.1", "localhost")}/`,
      `  operators' dashboard  ${edgeUrl.replace("127.0.0.1", "localhost")}/admin   admin token: ${secrets.adminToken}`,
      `  edge (wrangler dev)   ${edgeUrl}   health: ${edgeUrl}/healthz`,
      `  origin API            ${originUrl}   metrics: ${originUrl}/metrics (Bearer admin token)`,
      `  Upstash REST bridge   ${bridgeUrl}`,
      `  redis-server          ${redis.url}`,
      `  S3-compatible server  ${s3.endpoint}   bucket: ${LOCAL_BUCKET}`,
      `  state                 ${stateDir}`,
      ...crowdHelp(edgeUrl, viewers),
      "Press Ctrl-C to stop everything.",
      "",
    ].join("\n"),
  );
}

function secondsSince(start: number): string {
  return ((Date.now() - start) / 1000).toFixed(1);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  void shutdown(1);
});
