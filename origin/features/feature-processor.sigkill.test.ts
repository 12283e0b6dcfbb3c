import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { Redis as Upstash } from "@upstash/redis/cloudflare";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { STREAM_FIELD } from "../../contracts/event.schema";
import { featureKeys } from "../../contracts/keyspace";
import { ingestBatch } from "../../edge/events/ingest-batch";
import { RECENT_MAX_VIDEOS, RECENT_WINDOW_MS } from "./feature-windows";
import { compareIds, decodeEntry, toEntries } from "./stream-entries";
import { readVideoWindows } from "./video-features.reader";
import { counterDeltas, VIDEO_COUNTERS } from "./video-metrics";

// Acceptance: 50,000 events through the edge's own ingest code (bad ones rejected, retries
// dropped, low-value ones sampled with weights), then the `features` role as a real child
// process, SIGKILLed at random moments and restarted, must end with every counter exact.
const redisUrl = inject("redisUrl");
const redis = new Redis(redisUrl);
const upstash = new Upstash({
  url: inject("bridgeUrl"),
  token: inject("bridgeToken"),
  retry: false,
});
const PARTITIONS = 8;
const TOTAL_EVENTS = 50_000;
const prefix = `t:${randomUUID()}:`;
const keys = featureKeys(prefix);
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  redis.disconnect();
});

/** A deterministic stream of numbers in [0, 1), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 0x1_0000_0000;
  };
}

function makeEvent(rand: () => number, n: number): Record<string, unknown> {
  // v0 crosses 10K views; v1 starts just under 100K (seeded below).
  const r = rand();
  const video = r < 0.55 ? "v0" : r < 0.61 ? "v1" : `v${2 + Math.floor(rand() * 38)}`;
  const base = {
    id: `c${n}`,
    video_id: video,
    ts: 1_700_000_000_000 + n,
    creator_id: `cr${video}`,
  };
  const kind = rand();
  if (kind < 0.02) return { ...base, type: "progress", watch_ms: -5 }; // bad: rejected at the edge
  if (kind < 0.45) return { ...base, type: "play" };
  if (kind < 0.7) {
    const watch = rand() < 0.5 ? Math.floor(rand() * 999) : 1_000 + Math.floor(rand() * 9_000);
    return { ...base, type: "progress", watch_ms: watch, position_ms: watch, duration_ms: 15_000 };
  }
  if (kind < 0.78) return { ...base, type: "complete" };
  if (kind < 0.84) return { ...base, type: "like" };
  if (kind < 0.85) return { ...base, type: "unlike" };
  if (kind < 0.88) return { ...base, type: "share" };
  if (kind < 0.9) return { ...base, type: "comment" };
  if (kind < 0.91) return { ...base, type: "follow" };
  if (kind < 0.95) return { ...base, type: "impression" };
  return { ...base, type: "skip", watch_ms: Math.floor(rand() * 5_000) };
}

/** The catalog entries the edge checks events against: v0..v39, live, 15 s long. */
async function seedCatalog(): Promise<void> {
  const pipeline = redis.pipeline();
  for (let i = 0; i < 40; i++) {
    pipeline.hset(keys.video(`v${i}`), {
      status: "live",
      duration_ms: 15_000,
      creator_id: `crv${i}`,
      audio_id: "",
      hashtags: "[]",
    });
  }
  await pipeline.exec();
}

async function ingestAll(expected: Map<string, Map<string, number>>): Promise<number> {
  await seedCatalog();
  const rand = random(42);
  const users = Array.from({ length: 300 }, (_, i) => ({
    userId: `user${i}`,
    sessionId: `sess${i}`,
    region: i % 3 === 0 ? "us" : "eu",
  }));
  const batches: { user: (typeof users)[number]; events: Record<string, unknown>[] }[] = [];
  for (let n = 0; n < TOTAL_EVENTS; ) {
    const size = Math.min(1 + Math.floor(rand() * 100), TOTAL_EVENTS - n);
    const user = users[Math.floor(rand() * users.length)]!;
    const events = Array.from({ length: size }, (_, i) => makeEvent(rand, n + i));
    n += size;
    batches.push({ user, events });
    if (rand() < 0.05) batches.push({ user, events }); // a client retry of the whole batch
  }
  let accepted = 0;
  for (let i = 0; i < batches.length; i += 16) {
    const results = await Promise.all(
      batches.slice(i, i + 16).map(({ user, events }) =>
        ingestBatch(upstash, user, events, {
          sampleRate: 0.1,
          partitions: PARTITIONS,
          keyPrefix: prefix,
        }),
      ),
    );
    for (const result of results) {
      accepted += result.accepted.length;
      for (const stored of result.accepted) {
        const video = expected.get(stored.event.video_id) ?? new Map<string, number>();
        for (const [counter, delta] of Object.entries(counterDeltas(stored))) {
          video.set(counter, (video.get(counter) ?? 0) + delta);
        }
        expected.set(stored.event.video_id, video);
      }
    }
  }
  return accepted;
}

function startProcessor(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "origin/main.ts", "features"], {
    env: {
      ...process.env,
      REDIS_URL: redisUrl,
      EVENT_PARTITIONS: String(PARTITIONS),
      FEATURES_KEY_PREFIX: prefix,
      FEATURES_BATCH_SIZE: "50",
      FEATURES_LEASE_MS: "600",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`features exited early (${code})`)));
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("features: consuming")) resolve(child);
    });
  });
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

async function committedEverything(): Promise<boolean> {
  for (let p = 0; p < PARTITIONS; p++) {
    const last = await redis.xrevrange(keys.stream(p), "+", "-", "COUNT", 1);
    const position = (await redis.hget(keys.positions(), String(p))) ?? "0-0";
    if (last[0] && compareIds(last[0][0], position) > 0) return false;
  }
  return true;
}

const ENGAGEMENTS = new Set(["complete", "replay", "like", "share", "comment", "follow"]);
type Scored = [member: string, score: number];
const byScoreThenMember = ([a, as]: Scored, [b, bs]: Scored) =>
  as - bs || (a < b ? -1 : a > b ? 1 : 0);

/**
 * What each user's `recent` and `follows` sets must hold, rebuilt from the streams in order as
 * if every event had been applied once: each engaged video at its latest time, within the
 * window of the user's newest engagement, the newest 50; each followed creator at its last
 * follow.
 */
async function expectedSequences(): Promise<{
  recent: Map<string, Scored[]>;
  follows: Map<string, Scored[]>;
}> {
  const engaged = new Map<string, Map<string, number>>();
  const followed = new Map<string, Map<string, number>>();
  const at = (sets: typeof engaged, user: string) =>
    sets.get(user) ?? sets.set(user, new Map()).get(user)!;
  for (let p = 0; p < PARTITIONS; p++) {
    const entries = toEntries(await redis.xrange(keys.stream(p), "-", "+"));
    for (const stored of entries.map(decodeEntry)) {
      if (!stored) continue;
      const { event, user_id: user, received_at: time } = stored;
      if (ENGAGEMENTS.has(event.type)) {
        const videos = at(engaged, user);
        videos.set(event.video_id, Math.max(videos.get(event.video_id) ?? 0, time));
      }
      if (event.type === "follow") at(followed, user).set(event.creator_id, time);
    }
  }
  const recent = new Map<string, Scored[]>();
  for (const [user, videos] of engaged) {
    const sorted = [...videos].sort(byScoreThenMember);
    const newest = sorted[sorted.length - 1]![1];
    const inWindow = sorted.filter(([, time]) => time >= newest - RECENT_WINDOW_MS);
    recent.set(user, inWindow.slice(-RECENT_MAX_VIDEOS));
  }
  const follows = new Map<string, Scored[]>();
  for (const [user, creators] of followed) follows.set(user, [...creators].sort(byScoreThenMember));
  return { recent, follows };
}

async function storedSet(key: string): Promise<Scored[]> {
  const flat = await redis.zrange(key, 0, -1, "WITHSCORES");
  const scored: Scored[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) scored.push([flat[i]!, Number(flat[i + 1])]);
  return scored;
}

describe("feature processor under SIGKILL", () => {
  it("ends with every per-video counter exact and one notify message per milestone", async () => {
    await redis.hset(keys.videoFeatures("v1"), "views", 99_000);
    const expected = new Map<string, Map<string, number>>();
    const accepted = await ingestAll(expected);
    // Entries no edge writes: skipped and acknowledged, never counted.
    await redis.xadd(keys.stream(3), "*", STREAM_FIELD, "{broken");
    await redis.xadd(keys.stream(5), "*", "x", "y");
    expect(accepted).toBeGreaterThan(30_000);
    expect(expected.get("v0")?.get("views")).toBeGreaterThan(10_000);

    const rand = random(7);
    let kills = 0;
    let child = await startProcessor();
    while (kills < 5 && !(await committedEverything())) {
      await new Promise((r) => setTimeout(r, 100 + rand() * 400));
      await kill(child);
      kills++;
      child = await startProcessor();
    }
    for (let i = 0; i < 600 && !(await committedEverything()); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await committedEverything()).toBe(true);
    const stopped = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await stopped;
    expect(kills).toBeGreaterThanOrEqual(3);

    for (const [video, counters] of expected) {
      const stored = await redis.hgetall(keys.videoFeatures(video));
      const seeded = video === "v1" ? 99_000 : 0;
      const windows = await readVideoWindows(redis, keys, video);
      for (const counter of VIDEO_COUNTERS) {
        const want = counters.get(counter) ?? 0;
        const seed = counter === "views" ? seeded : 0;
        expect(Number(stored[counter] ?? 0), `${video}.${counter}`).toBe(want + seed);
        expect(windows["1h"][counter], `${video}.1h.${counter}`).toBe(want);
        expect(windows["24h"][counter], `${video}.24h.${counter}`).toBe(want);
      }
    }
    const notify = await redis.xrange(keys.notify(), "-", "+");
    const milestones = notify.map(([, f]) => `${f[3]}@${f[7]}`).sort();
    expect(milestones).toEqual(["v0@10000", "v1@100000"]);
    for (let p = 0; p < PARTITIONS; p++) {
      const pending = (await redis.xpending(keys.stream(p), "features")) as [number];
      expect(pending[0]).toBe(0);
    }

    // No session was a bot, so every engagement and follow must be there exactly once.
    expect(await redis.keys(`${prefix}spam:*`)).toEqual([]);
    const { recent, follows } = await expectedSequences();
    expect(recent.size).toBeGreaterThan(250);
    expect(follows.size).toBeGreaterThan(100);
    for (const [user, want] of recent) {
      expect(await storedSet(keys.recent(user)), `recent:${user}`).toEqual(want);
    }
    for (const [user, want] of follows) {
      expect(await storedSet(keys.follows(user)), `follows:${user}`).toEqual(want);
    }
  }, 110_000);
});
