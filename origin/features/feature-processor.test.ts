import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import {
  type ClientEvent,
  partitionOf,
  STREAM_FIELD,
  type StoredEvent,
} from "../../contracts/event.schema";
import { featureKeys } from "../../contracts/keyspace";
import { TRENDING_USER_CAP } from "./batch-ops";
import { FeatureProcessor } from "./feature-processor";
import { bucketField, bucketStart } from "./feature-windows";
import { compareIds } from "./stream-entries";
import { readUserInterest } from "./user-interest.reader";
import { readFollows, readRecentSequence } from "./user-sequence.reader";
import { readVideoTotals, readVideoWindows } from "./video-features.reader";

const redisUrl = inject("redisUrl");
const redis = new Redis(redisUrl);
const PARTITIONS = 2;
const processors: FeatureProcessor[] = [];

afterAll(async () => {
  await Promise.all(processors.map((p) => p.stop()));
  redis.disconnect();
});

async function start(prefix: string): Promise<FeatureProcessor> {
  const processor = new FeatureProcessor({
    redisUrl,
    partitions: PARTITIONS,
    batchSize: 100,
    keyPrefix: prefix,
    leaseMs: 1_000,
    trendingIntervalMs: 0,
    consumer: undefined,
  });
  processors.push(processor);
  await processor.start();
  return processor;
}

type EventFields = { type: ClientEvent["type"]; video_id: string } & Record<string, unknown>;
let seq = 0;

function stored(
  event: EventFields,
  who: { user?: string; session?: string; region?: string; at?: number; weight?: number } = {},
): StoredEvent {
  return {
    event: { id: `e${++seq}`, ts: Date.now(), ...event } as ClientEvent,
    user_id: who.user ?? "u1",
    session_id: who.session ?? `${who.user ?? "u1"}-s`,
    region: who.region ?? "eu",
    received_at: who.at ?? Date.now(),
    weight: who.weight ?? 1,
  };
}

async function append(prefix: string, events: StoredEvent[]): Promise<void> {
  const pipeline = redis.pipeline();
  for (const s of events) {
    const stream = `${prefix}ev:${partitionOf(s.user_id, PARTITIONS)}`;
    pipeline.xadd(stream, "*", STREAM_FIELD, JSON.stringify(s));
  }
  await pipeline.exec();
}

/** Waits until every partition's committed position reaches its stream's last entry. */
async function drained(prefix: string): Promise<void> {
  const keys = featureKeys(prefix);
  for (let attempt = 0; attempt < 200; attempt++) {
    let behind = 0;
    for (let p = 0; p < PARTITIONS; p++) {
      const last = await redis.xrevrange(keys.stream(p), "+", "-", "COUNT", 1);
      const position = (await redis.hget(keys.positions(), String(p))) ?? "0-0";
      if (last[0] && compareIds(last[0][0], position) > 0) behind++;
    }
    if (behind === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("processor did not drain its partitions");
}

describe("feature processor", () => {
  it("counts weighted events per video over windows, with engagement and completion rates", async () => {
    const prefix = `t:${randomUUID()}:`;
    const keys = featureKeys(prefix);
    await start(prefix);
    const progress = {
      type: "progress",
      video_id: "va",
      watch_ms: 400,
      position_ms: 400,
      duration_ms: 9000,
    } as const;
    await append(prefix, [
      stored({ type: "play", video_id: "va" }, { user: "ann" }),
      stored({ type: "play", video_id: "va" }, { user: "bob" }),
      stored({ type: "play", video_id: "va" }, { user: "cid" }),
      stored({ type: "play", video_id: "va" }, { user: "dan" }),
      stored(progress, { user: "ann", weight: 10 }),
      stored({ type: "complete", video_id: "va" }, { user: "ann" }),
      stored({ type: "like", video_id: "va" }, { user: "bob" }),
      stored({ type: "like", video_id: "va" }, { user: "cid" }),
      stored({ type: "unlike", video_id: "va" }, { user: "cid" }),
      stored({ type: "share", video_id: "va" }, { user: "dan" }),
    ]);
    // Not something an edge writes: acknowledged and skipped, never blocking the partition.
    await redis.xadd(keys.stream(0), "*", STREAM_FIELD, "{not json");
    await redis.xadd(keys.stream(1), "*", "other", "field");
    await drained(prefix);
    const totals = await readVideoTotals(redis, keys, "va");
    expect(totals).toMatchObject({ views: 4, watch_ms: 4000, completes: 1, likes: 1, shares: 1 });
    expect(totals.engagement_rate).toBe(0.5);
    expect(totals.completion_rate).toBe(0.25);
    const windows = await readVideoWindows(redis, keys, "va");
    for (const name of ["1h", "6h", "24h"] as const) {
      expect(windows[name]).toMatchObject({ views: 4, watch_ms: 4000, engagement_rate: 0.5 });
    }
    // Two hours later the 1 h window has forgotten them; the 24 h window has not.
    const later = await readVideoWindows(redis, keys, "va", Date.now() + 2 * 3_600_000);
    expect(later["1h"].views).toBe(0);
    expect(later["24h"].views).toBe(4);
  });

  it("drops a video's window buckets once they age out, keeping its all-time counters", async () => {
    const prefix = `t:${randomUUID()}:`;
    const keys = featureKeys(prefix);
    await start(prefix);
    const twoHoursAgo = Date.now() - 2 * 3_600_000;
    await append(prefix, [stored({ type: "play", video_id: "vo" }, { at: twoHoursAgo })]);
    await drained(prefix);
    const oldHour = bucketField("1h", bucketStart(twoHoursAgo, 300_000), "views");
    expect(await redis.hget(keys.videoFeatures("vo"), oldHour)).toBe("1");
    await append(prefix, [stored({ type: "play", video_id: "vo" })]);
    await drained(prefix);
    expect(await redis.hget(keys.videoFeatures("vo"), oldHour)).toBeNull();
    const windows = await readVideoWindows(redis, keys, "vo");
    expect([windows["1h"].views, windows["6h"].views, windows["24h"].views]).toEqual([1, 2, 2]);
    expect((await readVideoTotals(redis, keys, "vo")).views).toBe(2);
  });

  it("counts a batch whose events span several buckets into every window that holds them", async () => {
    const prefix = `t:${randomUUID()}:`;
    const keys = featureKeys(prefix);
    await start(prefix);
    const now = Date.now();
    const twoHoursAgo = now - 2 * 3_600_000;
    // One batch: the oldest play is already out of the 1 h window when the batch is written.
    await append(prefix, [
      stored({ type: "play", video_id: "vb" }, { user: "ida", at: twoHoursAgo }),
      stored({ type: "play", video_id: "vb" }, { user: "ida", at: now - 7 * 60_000 }),
      stored({ type: "play", video_id: "vb" }, { user: "ida", at: now }),
      stored({ type: "like", video_id: "vb" }, { user: "ida", at: now }),
    ]);
    await drained(prefix);
    const windows = await readVideoWindows(redis, keys, "vb", now);
    expect([windows["1h"].views, windows["6h"].views, windows["24h"].views]).toEqual([2, 3, 3]);
    expect(windows["1h"]).toMatchObject({ likes: 1, engagement_rate: 0.5 });
    expect(await readVideoTotals(redis, keys, "vb")).toMatchObject({ views: 3, likes: 1 });
    // Never written, so nothing has to delete it later.
    const stale = bucketField("1h", bucketStart(twoHoursAgo, 300_000), "views");
    expect(await redis.hget(keys.videoFeatures("vb"), stale)).toBeNull();
  });

  it("puts exactly one message on notify per crossed milestone", async () => {
    const prefix = `t:${randomUUID()}:`;
    const keys = featureKeys(prefix);
    await redis.hset(keys.video("vm"), { creator_id: "cm", audio_id: "am", hashtags: "[]" });
    await redis.hset(keys.videoFeatures("vm"), "views", 9_990);
    await redis.hset(keys.videoFeatures("vn"), "views", 99_999);
    await start(prefix);
    const plays = (video: string, n: number) =>
      Array.from({ length: n }, (_, i) =>
        stored({ type: "play", video_id: video }, { user: `m${i}` }),
      );
    await append(prefix, plays("vm", 25));
    await append(prefix, plays("vn", 3));
    await drained(prefix);
    await append(prefix, plays("vm", 25));
    await drained(prefix);
    const messages = await redis.xrange(keys.notify(), "-", "+");
    const bodies = messages.map(([, fields]) => fields).sort();
    expect(bodies).toEqual([
      ["type", "milestone", "video_id", "vm", "creator_id", "cm", "views", "10000"],
      ["type", "milestone", "video_id", "vn", "creator_id", "", "views", "100000"],
    ]);
    expect((await readVideoTotals(redis, keys, "vm")).views).toBe(10_040);
  });

  it("ranks regional trending by engagement and ignores a bot once flagged", async () => {
    const prefix = `t:${randomUUID()}:`;
    const keys = featureKeys(prefix);
    await start(prefix);
    const t0 = Date.now() - 120_000;
    const human: StoredEvent[] = [];
    const bot: StoredEvent[] = [];
    for (let i = 0; i < 40; i++) {
      // A person: seconds between swipes, never the same twice.
      const humanTs = t0 + i * 3_000 + ((i * 7919) % 2_500);
      human.push(
        stored({ type: "play", video_id: "hot", ts: humanTs }, { user: "hum", at: t0 + i * 3_000 }),
      );
      bot.push(
        stored(
          { type: "play", video_id: "botted", ts: t0 + i * 3_000 },
          { user: "bot", at: t0 + i * 3_000 },
        ),
      );
    }
    human.push(stored({ type: "like", video_id: "hot" }, { user: "hum" }));
    // One person's 40 plays reach their trending cap; a second person's like counts on top.
    human.push(stored({ type: "like", video_id: "hot" }, { user: "hum2" }));
    bot.push(
      ...Array.from({ length: 50 }, () =>
        stored({ type: "share", video_id: "botted" }, { user: "bot" }),
      ),
    );
    const us = [stored({ type: "share", video_id: "elsewhere" }, { user: "yan", region: "us" })];
    await append(prefix, [...human, ...bot, ...us]);
    await drained(prefix);
    expect(await redis.exists(keys.spamUser("bot"))).toBe(1);
    expect(await redis.exists(keys.spamUser("hum"))).toBe(0);
    // Refreshed by the loop at most every trendingIntervalMs (0 here): wait for one pass.
    await new Promise((r) => setTimeout(r, 300));
    const eu = await redis.zrevrange(keys.trending("eu"), 0, -1, "WITHSCORES");
    expect(eu[0]).toBe("hot");
    // The bot's first 20 plays counted (20 intervals to judge it); nothing after.
    let botted = 0;
    for (const key of await redis.keys(`${prefix}tr:eu:*`)) {
      botted += Number((await redis.zscore(key, "botted")) ?? 0);
    }
    expect(botted).toBe(20);
    expect(await redis.zrange(keys.trending("us"), 0, -1)).toEqual(["elsewhere"]);
    // A region with no trending of its own is shown every region's, summed.
    const global = await redis.zrevrange(keys.trendingGlobal(), 0, -1);
    expect(global[0]).toBe("hot");
    expect(global).toContain("elsewhere");
    // Counters still count the bot's events: trending and training ignore flagged users.
    expect((await readVideoTotals(redis, keys, "botted")).shares).toBe(50);
  });

  it("flags a bot that starts a new session every few events, as one user", async () => {
    const prefix = `t:${randomUUID()}:`;
    const keys = featureKeys(prefix);
    await start(prefix);
    const t0 = Date.now() - 120_000;
    // A play every 3 s on the dot, a fresh session every 2 plays: no session has a rhythm.
    const bot = Array.from({ length: 40 }, (_, i) =>
      stored(
        { type: "play", video_id: `rotated-${i}`, ts: t0 + i * 3_000 },
        { user: "rotator", session: `rot-${Math.floor(i / 2)}`, at: t0 + i * 3_000 },
      ),
    );
    await append(prefix, bot);
    await drained(prefix);
    expect(await redis.exists(keys.spamUser("rotator"))).toBe(1);
    const counted = new Set<string>();
    for (const key of await redis.keys(`${prefix}tr:eu:*`)) {
      for (const video of await redis.zrange(key, 0, -1)) counted.add(video);
    }
    // Each play is of another video, so no per-video cap hides it: the 20 plays it took to judge
    // the rhythm count, the 20 after the verdict do not.
    expect(counted.size).toBe(20);
    expect(counted.has("rotated-19")).toBe(true);
    expect(counted.has("rotated-20")).toBe(false);
  });

  it("ranks a video watched once by 20 people above one account's 10,000 events", async () => {
    // Was: one user pushed a video to #1 of trending:eu with a pile of events.
    const prefix = `t:${randomUUID()}:`;
    const keys = featureKeys(prefix);
    await start(prefix);
    const t0 = Date.now() - 10 * 60_000;
    const types = ["share", "like", "complete", "replay", "comment"] as const;
    // 500 sessions of 20 events, spread over 10 minutes: no session looks like a bot on its own.
    const farm = Array.from({ length: 10_000 }, (_, i) =>
      stored(
        { type: types[i % types.length]!, video_id: "farmed" },
        { user: "farmer", session: `farm-${Math.floor(i / 20)}`, at: t0 + i * 60 },
      ),
    );
    const crowd = Array.from({ length: 20 }, (_, i) => [
      stored({ type: "play", video_id: "picked" }, { user: `viewer${i}`, at: t0 + i * 30_000 }),
      stored({ type: "complete", video_id: "picked" }, { user: `viewer${i}`, at: t0 + i * 30_000 }),
    ]).flat();
    await append(prefix, [...farm, ...crowd]);
    await drained(prefix);
    await new Promise((r) => setTimeout(r, 300));
    const eu = await redis.zrevrange(keys.trending("eu"), 0, -1);
    expect(eu.slice(0, 2)).toEqual(["picked", "farmed"]);
    let farmed = 0;
    for (const key of await redis.keys(`${prefix}tr:eu:*`)) {
      farmed += Number((await redis.zscore(key, "farmed")) ?? 0);
    }
    expect(farmed).toBe(TRENDING_USER_CAP);
    // The cap is trending's: the video's counters still hold every accepted event.
    expect((await readVideoTotals(redis, keys, "farmed")).shares).toBe(2_000);
  });

  it("keeps a decayed short-term interest per user that expires after 30 minutes", async () => {
    const prefix = `t:${randomUUID()}:`;
    const keys = featureKeys(prefix);
    await redis.hset(keys.video("vi"), {
      creator_id: "chef",
      audio_id: "song",
      hashtags: JSON.stringify(["food", "pasta"]),
    });
    await start(prefix);
    // Read as of the events' own time: a loaded machine's processing delay would decay them.
    const at = Date.now();
    await append(prefix, [
      stored({ type: "like", video_id: "vi" }, { user: "eve", at }),
      stored({ type: "share", video_id: "vi" }, { user: "eve", at }),
      stored(
        { type: "not_interested", video_id: "vx", creator_id: "loud", audio_id: "noise" },
        { user: "eve", at },
      ),
    ]);
    await drained(prefix);
    const interest = await readUserInterest(redis, keys, "eve", 50, at);
    const score = (member: string) => interest.find((a) => a.member === member)?.score;
    expect(score("c:chef")).toBeCloseTo(7, 3);
    expect(score("h:pasta")).toBeCloseTo(7, 3);
    expect(score("s:song")).toBeCloseTo(7, 3);
    expect(score("c:loud")).toBeCloseTo(-5, 3);
    const halfLifeLater = await readUserInterest(redis, keys, "eve", 50, at + 600_000);
    expect(halfLifeLater.find((a) => a.member === "c:chef")?.score).toBeCloseTo(3.5, 1);
    const ttl = await redis.ttl(keys.interest("eve"));
    expect(ttl).toBeGreaterThan(1_700);
    expect(ttl).toBeLessThanOrEqual(1_800);
  });

  it("keeps each user's engagements of the last 30 minutes in order, without plays or bots", async () => {
    const prefix = `t:${randomUUID()}:`;
    const keys = featureKeys(prefix);
    await redis.set(keys.spamUser("sia-bot"), "1");
    await start(prefix);
    const now = Date.now();
    const ago = (minutes: number) => ({ user: "sia", at: now - minutes * 60_000 });
    const bot = { ...ago(1), user: "sia-bot" };
    await append(prefix, [
      stored({ type: "complete", video_id: "a" }, ago(10)),
      stored({ type: "play", video_id: "played" }, ago(9)),
      stored({ type: "impression", video_id: "shown" }, ago(9)),
      stored({ type: "share", video_id: "b" }, ago(8)),
      stored({ type: "follow", video_id: "m", creator_id: "mime" }, ago(7)),
      stored({ type: "like", video_id: "a" }, ago(5)),
      stored({ type: "comment", video_id: "c" }, ago(4)),
      stored({ type: "follow", video_id: "k", creator_id: "baker" }, ago(3)),
      stored({ type: "replay", video_id: "d" }, ago(2)),
      stored({ type: "like", video_id: "botted" }, bot),
      stored({ type: "follow", video_id: "botted", creator_id: "spammer" }, bot),
      stored({ type: "follow", video_id: "f", creator_id: "chef" }, ago(1)),
      // Arrives last but happened 40 minutes before the newest: outside the window.
      stored({ type: "like", video_id: "stale" }, ago(41)),
    ]);
    await drained(prefix);
    await append(prefix, [stored({ type: "unfollow", video_id: "m", creator_id: "mime" }, ago(0))]);
    await drained(prefix);
    const expected = [
      { videoId: "b", at: now - 8 * 60_000 },
      { videoId: "m", at: now - 7 * 60_000 },
      { videoId: "a", at: now - 5 * 60_000 },
      { videoId: "c", at: now - 4 * 60_000 },
      { videoId: "k", at: now - 3 * 60_000 },
      { videoId: "d", at: now - 2 * 60_000 },
      { videoId: "f", at: now - 1 * 60_000 },
    ];
    expect(await readRecentSequence(redis, keys, "sia", now)).toEqual(expected);
    expect(await readRecentSequence(redis, keys, "sia-bot", now)).toEqual([]);
    // Not only hidden by the reader: the stale video is gone from the set itself.
    expect(await redis.zrange(keys.recent("sia"), 0, -1)).toEqual(expected.map((e) => e.videoId));
    const ttl = await redis.pttl(keys.recent("sia"));
    expect(ttl).toBeGreaterThan(1_700_000);
    expect(ttl).toBeLessThanOrEqual(1_800_000);
    // 27.5 minutes on, the window starts 2.5 minutes before `now`.
    const later = await readRecentSequence(redis, keys, "sia", now + 27.5 * 60_000);
    expect(later.map((e) => e.videoId)).toEqual(["d", "f"]);
    expect(await readFollows(redis, keys, "sia")).toEqual(["chef", "baker"]);
    expect(await redis.ttl(keys.follows("sia"))).toBe(-1);
  });

  it("keeps only a user's newest 50 engaged videos", async () => {
    const prefix = `t:${randomUUID()}:`;
    const keys = featureKeys(prefix);
    await start(prefix);
    const t0 = Date.now() - 60_000;
    const likes = (user: string) =>
      Array.from({ length: 60 }, (_, i) =>
        stored({ type: "like", video_id: `n${i}` }, { user, at: t0 + i * 500 }),
      );
    // One user's likes arrive in two batches, the other's in one.
    const [max, mia] = [likes("max"), likes("mia")];
    await append(prefix, [...max.slice(0, 35), ...mia]);
    await drained(prefix);
    await append(prefix, max.slice(35));
    await drained(prefix);
    const newest50 = Array.from({ length: 50 }, (_, i) => `n${i + 10}`);
    for (const user of ["max", "mia"]) {
      const sequence = await readRecentSequence(redis, keys, user);
      expect(sequence.map((e) => e.videoId)).toEqual(newest50);
      expect(await redis.zcard(keys.recent(user))).toBe(50);
    }
  });

  it("shares partitions between live processors and takes over a stopped one's", async () => {
    const prefix = `t:${randomUUID()}:`;
    const a = await start(prefix);
    await new Promise((r) => setTimeout(r, 100));
    const b = await start(prefix);
    for (let i = 0; i < 40 && a.ownedPartitions.length + b.ownedPartitions.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 800));
    expect(a.ownedPartitions.length).toBe(1);
    expect(b.ownedPartitions.length).toBe(1);
    await a.stop();
    processors.splice(processors.indexOf(a), 1);
    for (let i = 0; i < 40 && b.ownedPartitions.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(b.ownedPartitions).toEqual([0, 1]);
  });
});
