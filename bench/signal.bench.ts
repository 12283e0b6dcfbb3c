import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Redis as Upstash } from "@upstash/redis/cloudflare";
import { Redis } from "ioredis";
import { partitionOf, STREAM_FIELD, type StoredEvent } from "../contracts/event.schema";
import { hash32 } from "../contracts/hash";
import { featureKeys } from "../contracts/keyspace";
import { ingestBatch } from "../edge/events/ingest-batch";
import { startRedisServer } from "../origin/dev/redis-server";
import { FeatureProcessor } from "../origin/features/feature-processor";
import { compareIds } from "../origin/features/stream-entries";
import { startBridge } from "../origin/redis-bridge/bridge.server";

// Signal path benchmark, on a real redis-server started for the run:
// (a) processor throughput: ≥1M synthetic events already in the streams, one processor
//     (one Node thread), wall time until every partition is committed;
// (b) freshness: a steady load through the edge's ingest code and the Upstash REST bridge;
//     probe events measure the time from ingest's answer (the 202) to the counter being readable.
const EVENTS = Number(process.env.EVENTS ?? 1_000_000);
const PARTITIONS = 8;
const LOAD_PER_SECOND = Number(process.env.LOAD ?? 2_000);
const FRESHNESS_SECONDS = Number(process.env.SECONDS ?? 10);
const TYPES = ["play", "play", "impression", "complete", "like", "share", "skip"] as const;

/**
 * Edge-like traffic: each user's events arrive in runs of 20 (one client batch), video
 * popularity is log-uniform over 20,000 videos (a few hot ones, a long tail). WORKLOAD=uniform
 * gives the worst case instead: every event a different user and a near-unique video.
 */
function synthetic(n: number): StoredEvent {
  const uniform = process.env.WORKLOAD === "uniform";
  const user = `user${(uniform ? n : Math.floor(n / 20)) % 5_000}`;
  const u = hash32(`v${n}`) / 0x1_0000_0000;
  const video = `v${uniform ? n % 2_000 : Math.floor(20_000 ** u)}`;
  const type = TYPES[n % TYPES.length]!;
  const event =
    n % 4 === 0
      ? {
          id: `e${n}`,
          type: "progress" as const,
          video_id: video,
          ts: n,
          watch_ms: 2_000,
          position_ms: 2_000,
          duration_ms: 15_000,
        }
      : { id: `e${n}`, type, video_id: video, ts: n, creator_id: `c${n % 300}` };
  return {
    event,
    user_id: user,
    session_id: `${user}-s`,
    region: n % 3 === 0 ? "us" : "eu",
    received_at: Date.now(),
    weight: 1,
  };
}

async function fill(redis: Redis, prefix: string): Promise<void> {
  const keys = featureKeys(prefix);
  for (let start = 0; start < EVENTS; start += 20_000) {
    const pipeline = redis.pipeline();
    for (let n = start; n < Math.min(EVENTS, start + 20_000); n++) {
      const stored = synthetic(n);
      const stream = keys.stream(partitionOf(stored.user_id, PARTITIONS));
      pipeline.xadd(stream, "*", STREAM_FIELD, JSON.stringify(stored));
    }
    await pipeline.exec();
  }
}

async function drained(redis: Redis, prefix: string): Promise<boolean> {
  const keys = featureKeys(prefix);
  for (let p = 0; p < PARTITIONS; p++) {
    const [last] = await redis.xrevrange(keys.stream(p), "+", "-", "COUNT", 1);
    const position = (await redis.hget(keys.positions(), String(p))) ?? "0-0";
    if (last && compareIds(last[0], position) > 0) return false;
  }
  return true;
}

function processor(redisUrl: string, prefix: string): FeatureProcessor {
  return new FeatureProcessor({
    redisUrl,
    partitions: PARTITIONS,
    batchSize: 500,
    keyPrefix: prefix,
    leaseMs: 10_000,
    trendingIntervalMs: 30_000,
    consumer: undefined,
  });
}

/** CPU seconds a process has used (Linux /proc; clock ticks of 1/100 s). */
function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return Number.NaN;
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Throughput {
  events: number;
  wallSeconds: number;
  eventsPerSecond: number;
  processorCpuSeconds: number;
  processorEventsPerCpuSecond: number;
  redisCpuSeconds: number;
  redisEventsPerCpuSecond: number;
}

interface Freshness {
  loadPerSecond: number;
  probes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

async function throughput(redis: Redis, redisUrl: string, redisPid?: number): Promise<Throughput> {
  const prefix = `bench:${randomUUID()}:`;
  const filled = performance.now();
  await fill(redis, prefix);
  console.log(`filled ${EVENTS} events in ${((performance.now() - filled) / 1000).toFixed(1)} s`);
  const worker = processor(redisUrl, prefix);
  const cpu = process.cpuUsage();
  const redisCpu = cpuSecondsOf(redisPid);
  const started = performance.now();
  await worker.start();
  while (!(await drained(redis, prefix))) await new Promise((r) => setTimeout(r, 20));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const redisSeconds = cpuSecondsOf(redisPid) - redisCpu;
  await worker.stop();
  const cpuSeconds = (used.user + used.system) / 1e6;
  console.log(
    `(a) throughput: ${EVENTS} events in ${seconds.toFixed(2)} s wall = ${Math.round(EVENTS / seconds)} events/s; ` +
      `processor ${cpuSeconds.toFixed(2)} CPU s = ${Math.round(EVENTS / cpuSeconds)} events/CPU-s, ` +
      `redis-server ${redisSeconds.toFixed(2)} CPU s = ${Math.round(EVENTS / redisSeconds)} events/CPU-s`,
  );
  return {
    events: EVENTS,
    wallSeconds: seconds,
    eventsPerSecond: Math.round(EVENTS / seconds),
    processorCpuSeconds: cpuSeconds,
    processorEventsPerCpuSecond: Math.round(EVENTS / cpuSeconds),
    redisCpuSeconds: redisSeconds,
    redisEventsPerCpuSecond: Math.round(EVENTS / redisSeconds),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function freshness(redis: Redis, redisUrl: string, upstash: Upstash): Promise<Freshness> {
  const prefix = `bench:${randomUUID()}:`;
  const keys = featureKeys(prefix);
  const worker = processor(redisUrl, prefix);
  await worker.start();
  const options = { sampleRate: 0.1, partitions: PARTITIONS, keyPrefix: prefix };
  // The edge appends only events of live videos no longer than the catalog says.
  const live = (pipeline: ReturnType<Redis["pipeline"]>, video: string) =>
    pipeline.hset(keys.video(video), { status: "live", duration_ms: 15_000 });
  for (let start = 0; start < 20_000; start += 5_000) {
    const pipeline = redis.pipeline();
    for (let i = start; i < start + 5_000; i++) live(pipeline, `v${i}`);
    await pipeline.exec();
  }
  const ends = Date.now() + FRESHNESS_SECONDS * 1000;
  let n = 0;
  // Background load: 50-event batches every tick, LOAD_PER_SECOND events in all.
  const tickMs = 100;
  const perTick = Math.max(1, Math.round((LOAD_PER_SECOND * tickMs) / 1000 / 50));
  const load = (async () => {
    while (Date.now() < ends) {
      const tick = Date.now();
      await Promise.all(
        Array.from({ length: perTick }, (_, b) => {
          // A user per batch: one user's events for a hot video stop at its per-video budget.
          const user = {
            userId: `load${b}-${tick}`,
            sessionId: `load${b}-${tick}-s`,
            region: "eu",
          };
          const events = Array.from({ length: 50 }, () => {
            const s = synthetic(n++);
            return { ...s.event, id: `l${n}` };
          });
          return ingestBatch(upstash, user, events, options);
        }),
      );
      await new Promise((r) => setTimeout(r, Math.max(0, tickMs - (Date.now() - tick))));
    }
  })();
  const latencies: number[] = [];
  for (let probe = 0; Date.now() < ends; probe++) {
    const video = `probe${probe}`;
    const user = {
      userId: `prober${probe % 50}`,
      sessionId: `prober${probe % 50}-s`,
      region: "eu",
    };
    await live(redis.pipeline(), video).exec();
    await ingestBatch(
      upstash,
      user,
      [{ id: `p${probe}`, type: "play", video_id: video, ts: Date.now() }],
      options,
    );
    const accepted = performance.now();
    while ((await redis.hget(keys.videoFeatures(video), "views")) === null) {
      await new Promise((r) => setTimeout(r, 2));
    }
    latencies.push(performance.now() - accepted);
    await new Promise((r) => setTimeout(r, 40));
  }
  await load;
  await worker.stop();
  latencies.sort((a, b) => a - b);
  console.log(
    `(b) freshness at ~${LOAD_PER_SECOND} events/s through the bridge, ${latencies.length} probes: ` +
      `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, ` +
      `max ${latencies[latencies.length - 1]?.toFixed(1)} ms`,
  );
  return {
    loadPerSecond: LOAD_PER_SECOND,
    probes: latencies.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1] ?? Number.NaN,
  };
}

const server = await startRedisServer();
const bridge = await startBridge({ redisUrl: server.url, token: "bench-token" });
const redis = new Redis(server.url);
const upstash = new Upstash({ url: bridge.url, token: "bench-token", retry: false });
try {
  const processing = await throughput(redis, server.url, server.process.pid);
  const fresh = await freshness(redis, server.url, upstash);
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(
    new URL("./results/signal.json", import.meta.url),
    `${JSON.stringify(
      {
        workload: process.env.WORKLOAD === "uniform" ? "uniform" : "edge-like",
        partitions: PARTITIONS,
        goal: "≥100K events per processor CPU-second",
        throughput: processing,
        freshness: fresh,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  redis.disconnect();
  await bridge.stop();
  await server.stop();
}
