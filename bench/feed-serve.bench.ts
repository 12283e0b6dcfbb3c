// The serve path end to end on loopback: redis-server, the Upstash REST bridge, the S3 server,
// the origin API and the Worker under `wrangler dev` (workerd), started here and stopped at the
// end. Load comes from this process over HTTP keep-alive, on the same machine, so the figures
// include the load generator's share of the CPU. A benchmark never fails on timing; it reports.
//
// Workloads: feed pages for warm users (closed loop, then open loop at a fixed rate), feed pages
// for cold users (no fyp:{user}: fallback path), media segments per tier (origin pull, R2, edge
// cache), and the hit-ratio replay (bench/feed-serve.replay.ts): distinct viewers over a Zipf
// catalog against Worker instances with pre-warm on and off, for the edge-cache hit ratio that
// pre-warm adds.
//
// Env: FEED_BENCH_SECONDS (per phase, default 10), FEED_BENCH_CONCURRENCY (default 32),
// FEED_BENCH_RATE (open-loop rps, default 500), FEED_BENCH_VIDEOS (default 1500),
// FEED_BENCH_WARM_USERS (default 100). FEED_BENCH_PROFILE=1 instead profiles the warm pages
// through workerd's inspector (bench/feed-serve.profile.ts) and writes the profile beside the
// results; the inspector slows every request, so that run reports no other figure.

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { Redis } from "ioredis";
import { encodeForYouMember } from "../contracts/feed.schema";
import { CatalogKeys, MediaKeys } from "../contracts/keyspace";
import { LOCAL_BUCKET, LOCAL_S3_CREDENTIALS } from "../origin/dev/local-services";
import { createS3Client } from "../origin/storage/s3.client";
import {
  fixtureMaster,
  fixturePlaylist,
  fixtureSegment,
} from "../testing/contracts/media.fixtures";
import { startEdge } from "./feed-serve.edge";
import {
  closedLoop,
  envNumber,
  type FeedUser,
  feedOnce,
  openLoop,
  type Summary,
  timed,
  warmUser,
} from "./feed-serve.load";
import { peerResults, runPeer } from "./feed-serve.peer";
import { profileDuring, summarizeProfile } from "./feed-serve.profile";
import { hitRatioReplay } from "./feed-serve.replay";
import type { BenchStack } from "./feed-serve.stack";

const SECONDS = envNumber("FEED_BENCH_SECONDS", 10);
const CONCURRENCY = envNumber("FEED_BENCH_CONCURRENCY", 32);
const RATE = envNumber("FEED_BENCH_RATE", 500);
const VIDEOS = envNumber("FEED_BENCH_VIDEOS", 1500);
const WARM_USERS = envNumber("FEED_BENCH_WARM_USERS", 100);
const PROFILE = process.env.FEED_BENCH_PROFILE === "1";
const REGION = "bench";
const SIGNING_SECRET = "bench-signing-secret";
const repoRoot = resolve(import.meta.dirname, "..");
/** Videos with media but in no feed, so no pre-warm touches them before the per-tier phases. */
const MEDIA_ONLY = Array.from({ length: 600 }, (_, i) => `media-only-${i}`);

/**
 * CPU milliseconds the workerd processes under this one (the Worker and wrangler's local cache and
 * R2) have used so far, from /proc; null off Linux. Unlike latency, per-request CPU barely moves
 * with the noise of a shared 2-core box, so it is the figure to compare pre-warm variants by.
 */
function edgeCpuMs(): number | null {
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  const procs = new Map<number, { parent: number; workerd: boolean; ticks: number }>();
  for (const name of entries) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      // Fields after the command: state ppid … utime(14) stime(15), numbered from pid = 1.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      procs.set(Number(name), {
        parent: Number(fields[1]),
        workerd: comm === "workerd",
        ticks: Number(fields[11]) + Number(fields[12]),
      });
    } catch {
      // The process exited while /proc was being read.
    }
  }
  const underThis = (pid: number): boolean => {
    for (let p = procs.get(pid)?.parent; p !== undefined && p > 1; p = procs.get(p)?.parent) {
      if (p === process.pid) return true;
    }
    return false;
  };
  let ticks = 0;
  for (const [pid, proc] of procs) if (proc.workerd && underThis(pid)) ticks += proc.ticks;
  // Linux reports these in USER_HZ, 100 per second.
  return ticks * 10;
}

/**
 * The edge's CPU per second with no request in flight: what workerd spends on its own (timers,
 * miniflare's services, the objects' alarms) and charges to whatever phase runs. Measured once
 * the warm-up is over, and subtracted from each phase's CPU so a slow phase is not billed for it.
 */
async function idleEdgeCpuPerSecond(seconds = 5): Promise<number | null> {
  const before = edgeCpuMs();
  const started = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const after = edgeCpuMs();
  if (before === null || after === null) return null;
  return (after - before) / ((performance.now() - started) / 1000);
}

/**
 * A phase's summary plus the edge's CPU per request while it ran: in total, and net of the idle
 * rate over the phase's length when that is known.
 */
async function withEdgeCpu<T extends Summary>(
  phase: () => Promise<T>,
  idlePerSecond: number | null = null,
): Promise<T & { edge_cpu_ms_per_request?: number; edge_cpu_ms_per_request_net?: number }> {
  const before = edgeCpuMs();
  const started = performance.now();
  const summary = await phase();
  const after = edgeCpuMs();
  if (before === null || after === null || summary.requests === 0) return summary;
  const round = (x: number) => Math.round(x * 100) / 100;
  const total = after - before;
  const idle =
    idlePerSecond === null ? null : (idlePerSecond * (performance.now() - started)) / 1000;
  return {
    ...summary,
    edge_cpu_ms_per_request: round(total / summary.requests),
    ...(idle === null
      ? {}
      : { edge_cpu_ms_per_request_net: round((total - idle) / summary.requests) }),
  };
}

async function seed(redisUrl: string, s3Endpoint: string): Promise<string[]> {
  const redis = new Redis(redisUrl);
  const ids = Array.from({ length: VIDEOS }, (_, i) => `bench-${i}`);
  const pipeline = redis.pipeline();
  for (const [i, id] of ids.entries()) {
    pipeline.hset(CatalogKeys.video(id), {
      id,
      creator_id: `creator-${i % 200}`,
      caption: `bench ${i}`,
      hashtags: JSON.stringify(["bench"]),
      audio_id: `audio-${i % 100}`,
      language: "en",
      duration_ms: 15_000,
      width: 720,
      height: 1280,
      version: 1,
      renditions: "[]",
      status: "live",
      created_at: new Date().toISOString(),
    });
  }
  ids.forEach((id, i) => {
    pipeline.zadd(CatalogKeys.trending(REGION), VIDEOS - i, id);
  });
  for (let u = 0; u < WARM_USERS; u++) {
    // Each warm user's ranked candidates: a rotation of the catalog.
    for (let k = 0; k < VIDEOS; k++) {
      const id = ids[(u * 37 + k) % VIDEOS]!;
      pipeline.zadd(CatalogKeys.forYou(`warm-${u}`), VIDEOS - k, encodeForYouMember(id));
    }
  }
  await pipeline.exec();
  redis.disconnect();

  const s3 = createS3Client({
    endpoint: s3Endpoint,
    region: "auto",
    bucket: LOCAL_BUCKET,
    ...LOCAL_S3_CREDENTIALS,
  });
  const objects = [...ids, ...MEDIA_ONLY].flatMap((id) => [
    { key: MediaKeys.master(id, 1), body: fixtureMaster() },
    { key: MediaKeys.playlist(id, 1, "240p"), body: fixturePlaylist() },
    { key: `${MediaKeys.prefix(id, 1)}240p/seg-00000.ts`, body: fixtureSegment(id).repeat(40) },
  ]);
  for (let i = 0; i < objects.length; i += 32) {
    await Promise.all(
      objects
        .slice(i, i + 32)
        .map(({ key, body }) =>
          s3.send(new PutObjectCommand({ Bucket: LOCAL_BUCKET, Key: key, Body: body })),
        ),
    );
  }
  s3.destroy();
  return ids;
}

/** Starts bench/feed-serve.stack.ts in a child process and waits for its URLs. */
async function startStack(): Promise<{ stack: BenchStack; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(repoRoot, "bench/feed-serve.stack.ts")],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const stack = await new Promise<BenchStack>((done, fail) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const line = out.split("\n").find((l) => l.startsWith("READY "));
      if (line) done(JSON.parse(line.slice("READY ".length)) as BenchStack);
    });
    child.once("exit", (code) => fail(new Error(`bench stack exited with ${code}`)));
  });
  return {
    stack,
    async stop() {
      child.stdin.end();
      await exited;
    },
  };
}

async function main(): Promise<void> {
  const { stack, stop } = await startStack();
  const stateDir = mkdtempSync(join(tmpdir(), "edgefeed-bench-"));
  const envFile = join(stateDir, "edge.env");
  writeFileSync(
    envFile,
    [
      `UPSTASH_REDIS_REST_URL=${stack.bridgeUrl}`,
      `UPSTASH_REDIS_REST_TOKEN=${stack.bridgeToken}`,
      `ORIGIN_URL=${stack.originUrl}`,
      `ORIGIN_SHARED_SECRET=${stack.originSecret}`,
      `SIGNING_SECRET=${SIGNING_SECRET}`,
      // Every simulated client logs in from loopback: the per-address limit would meter the bench.
      "SESSIONS_RATE_LIMIT=1000000",
      "",
    ].join("\n"),
  );
  const edge = await startEdge([envFile], PROFILE);
  const edgeUrl = (await edge.url).origin;
  try {
    console.log("seeding catalog, candidates and media…");
    const ids = await seed(stack.redisUrl, stack.s3Endpoint);
    const inspectorUrl = await edge.inspectorUrl;
    if (PROFILE && inspectorUrl) {
      writeResults(await profile(edgeUrl, ids, inspectorUrl));
      return;
    }
    // Before run(): the peer leaves fyp:{user} as seeded, and the edge's phases then pop it.
    const peer = await runPeer({
      redisUrl: stack.redisUrl,
      signingSecret: SIGNING_SECRET,
      region: REGION,
      warmUsers: WARM_USERS,
      seconds: SECONDS,
      concurrency: CONCURRENCY,
      rate: RATE,
    });
    const results = await run(edgeUrl, ids);
    const prewarmOff = await warmPagesWithoutPrewarm(stateDir, envFile);
    const replay = await hitRatioReplay({
      stack,
      envFile,
      region: REGION,
      signingSecret: SIGNING_SECRET,
    });
    writeResults({
      ...results,
      feed_warm_sequential_prewarm_off: prewarmOff,
      feed_peer: peerResults(peer, results),
      hit_ratio_replay: replay,
    });
  } finally {
    await edge.dispose();
    await stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/**
 * The warm users' pages one at a time on a second Worker with PREWARM_VIDEOS=0 (its own objects
 * and cache, the same Redis): the edge CPU a page costs without pre-warm, beside the first
 * Worker's figure with it.
 */
async function warmPagesWithoutPrewarm(stateDir: string, envFile: string) {
  const off = join(stateDir, "prewarm-off.env");
  writeFileSync(off, "PREWARM_VIDEOS=0\n");
  const edge = await startEdge([envFile, off]);
  try {
    const feedUrl = (await edge.url).origin.replace("127.0.0.1", "localhost");
    const warm = await warmUsers(feedUrl);
    console.log("feed, warm users, one request at a time, pre-warm off…");
    const idle = await idleEdgeCpuPerSecond();
    return await withEdgeCpu(
      () =>
        closedLoop(SECONDS, 1, async () => {
          const user = warm[Math.floor(Math.random() * warm.length)]!;
          return [(await feedOnce(feedUrl, user)).sample];
        }),
      idle,
    );
  } finally {
    await edge.dispose();
  }
}

/** Prints the run's figures and writes them to bench/results/feed-serve.json. */
function writeResults(results: object): void {
  const out = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? "unknown" },
    settings: { SECONDS, CONCURRENCY, RATE, VIDEOS, WARM_USERS, PROFILE },
    ...results,
  };
  console.log(JSON.stringify(out, null, 2));
  mkdirSync(join(repoRoot, "bench/results"), { recursive: true });
  writeFileSync(
    join(repoRoot, "bench/results/feed-serve.json"),
    `${JSON.stringify(out, null, 2)}\n`,
  );
}

/** A new anonymous viewer's access token; `who` names it in errors. */
async function login(edgeUrl: string, who: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${edgeUrl}/v1/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ region: REGION }),
    });
    if (response.ok) return ((await response.json()) as { token: string }).token;
    if (attempt === 3) throw new Error(`login ${who}: ${response.status} ${await response.text()}`);
    await new Promise((r) => setTimeout(r, 200 * attempt));
  }
}

/** Pulls every feed video's media from the origin through `pullUrl`, writing it into R2. */
async function fillR2(pullUrl: string, ids: string[]): Promise<void> {
  console.log("filling R2 through origin pulls…");
  const keys = ids.flatMap((id) => [
    MediaKeys.master(id, 1),
    MediaKeys.playlist(id, 1, "240p"),
    `${MediaKeys.prefix(id, 1)}240p/seg-00000.ts`,
  ]);
  let k = 0;
  await closedLoop(3600, 16, async () => {
    const key = keys[k++];
    if (key === undefined) return null;
    return [(await timed(`${pullUrl}/v1/${key}`)).sample];
  });
}

/** The users seeded with fyp:warm-{u}, each past its first page (object created, buffer full). */
async function warmUsers(feedUrl: string): Promise<FeedUser[]> {
  const warm = await Promise.all(
    Array.from({ length: WARM_USERS }, (_, u) => warmUser(SIGNING_SECRET, REGION, u)),
  );
  await Promise.all(warm.map((user) => feedOnce(feedUrl, user)));
  return warm;
}

/** The serve path's steps, by the names of the functions that run them. */
const SERVE_STEPS: Record<string, (frame: { functionName: string; url: string }) => boolean> = {
  "session token verify": (f) => f.functionName === "verifySessionToken",
  "cursor verify": (f) => f.functionName === "verifyCursor",
  "cursor sign": (f) => f.functionName === "signCursor",
  "object: page": (f) => f.functionName === "page",
  "object: refill (zpopmax + hydrate)": (f) => f.functionName === "refill",
  "object: assemble (read buffer, filter)": (f) => f.functionName === "assemble",
  "object: commit (seen, pages, outbox)": (f) => f.functionName === "commit",
  "object: seen-filter save": (f) => f.functionName === "saveSeen",
  "object: flush (impressions, mirror)": (f) => f.functionName === "flushPending",
  "redis REST client": (f) => f.url.includes("@upstash"),
  "pre-warm": (f) => f.functionName === "prewarm" || f.functionName === "prewarmVideo",
  metrics: (f) => f.url.includes("worker-lib/metrics") || f.functionName === "flushMetrics",
  valibot: (f) => f.url.includes("valibot"),
  hono: (f) => f.url.includes("/hono/"),
};

/**
 * Warm pages one at a time under the profiler: where an edge page's CPU goes, by function and by
 * serve-path step, and the /proc total beside it (the part the profile does not see is workerd's
 * own: miniflare's cache, R2 and routing workers, and the network stack).
 */
async function profile(edgeUrl: string, ids: string[], inspectorUrl: URL) {
  const feedUrl = edgeUrl.replace("127.0.0.1", "localhost");
  await fillR2(edgeUrl, ids);
  const warm = await warmUsers(feedUrl);
  const idle = await idleEdgeCpuPerSecond();
  console.log("profiling warm pages, one request at a time…");
  const { result, profile } = await profileDuring(inspectorUrl, () =>
    withEdgeCpu(
      () =>
        closedLoop(SECONDS, 1, async () => {
          const user = warm[Math.floor(Math.random() * warm.length)]!;
          return [(await feedOnce(feedUrl, user)).sample];
        }),
      idle,
    ),
  );
  mkdirSync(join(repoRoot, "bench/results"), { recursive: true });
  const file = join(repoRoot, "bench/results/feed-serve.cpuprofile");
  writeFileSync(file, JSON.stringify(profile));
  console.log(`profile written to ${file} (open it in Chrome DevTools' Performance panel)`);
  return {
    feed_warm_sequential_profiled: result,
    profile: summarizeProfile(profile, result.requests, SERVE_STEPS),
  };
}

/**
 * Two host names reach the same Worker but are different Cache API keys. `pullUrl` first pulls
 * every feed video's media from the origin (writing it through into R2), so under `feedUrl` the
 * edge cache starts cold and R2 warm: production's state, where the transcoder writes to R2.
 */
async function run(edgeUrl: string, ids: string[]) {
  const pullUrl = edgeUrl;
  const feedUrl = edgeUrl.replace("127.0.0.1", "localhost");
  await fillR2(pullUrl, ids);
  const warm = await warmUsers(feedUrl);
  console.log("edge CPU with nothing to serve…");
  const idle = await idleEdgeCpuPerSecond();
  console.log("edge floor: a route the Worker answers 404 without any I/O, one at a time…");
  // What every request costs locally before any feed work: wrangler's proxy worker, miniflare's
  // entry worker, HTTP parsing and Hono's dispatch, none of which a page adds on Workers.
  const floor = await withEdgeCpu(
    () => closedLoop(SECONDS, 1, async () => [(await timed(`${feedUrl}/v1/bench-floor`)).sample]),
    idle,
  );

  console.log("feed, warm users, one request at a time…");
  const warmSequential = await withEdgeCpu(
    () =>
      closedLoop(SECONDS, 1, async () => {
        const user = warm[Math.floor(Math.random() * warm.length)]!;
        return [(await feedOnce(feedUrl, user)).sample];
      }),
    idle,
  );
  console.log("feed, warm users, closed loop…");
  const warmClosed = await withEdgeCpu(
    () =>
      closedLoop(SECONDS, CONCURRENCY, async (worker) => {
        const user = warm[(worker + Math.floor(Math.random() * 1e6) * CONCURRENCY) % warm.length]!;
        return [(await feedOnce(feedUrl, user)).sample];
      }),
    idle,
  );
  console.log(`feed, warm users, open loop at ${RATE} rps…`);
  let next = 0;
  const warmOpen = await withEdgeCpu(
    () =>
      openLoop(SECONDS, RATE, async (_, scheduled) => {
        const user = warm[next++ % warm.length]!;
        return (await feedOnce(feedUrl, user, scheduled)).sample;
      }),
    idle,
  );

  console.log("feed, cold users…");
  let cold = 0;
  const coldUsers = await closedLoop(SECONDS, CONCURRENCY, async () => {
    const token = await login(feedUrl, `cold-${cold++}`);
    return [(await feedOnce(feedUrl, { token, cursor: "" })).sample];
  });

  const segment = (id: string) => `/v1/${MediaKeys.prefix(id, 1)}240p/seg-00000.ts`;
  const untouched = MEDIA_ONLY;
  console.log("segments per tier…");
  let o = 0;
  const originTier = await closedLoop(SECONDS, CONCURRENCY, async () => {
    const id = untouched[o++];
    if (id === undefined) return null;
    return [(await timed(`${pullUrl}${segment(id)}`)).sample];
  });
  // The same objects under the other host name: cache misses that R2 (written through) answers.
  const pulled = untouched.slice(0, o);
  let r = 0;
  const r2Tier = await closedLoop(SECONDS, CONCURRENCY, async () => {
    const id = pulled[r++];
    if (id === undefined) return null;
    return [(await timed(`${feedUrl}${segment(id)}`)).sample];
  });
  let e = 0;
  const edgeTier = await closedLoop(SECONDS, CONCURRENCY, async () => {
    const id = untouched[e++ % Math.min(o, untouched.length)]!;
    return [(await timed(`${pullUrl}${segment(id)}`)).sample];
  });

  return {
    edge_idle_cpu_ms_per_second: idle === null ? null : Math.round(idle),
    edge_floor_404: floor,
    feed_warm_sequential: warmSequential,
    feed_warm_closed_loop: warmClosed,
    feed_warm_open_loop: { target_rps: RATE, ...warmOpen },
    feed_cold_users: coldUsers,
    segments_origin_tier: originTier,
    segments_r2_tier: r2Tier,
    segments_edge_cache_tier: edgeTier,
  };
}

await main();
