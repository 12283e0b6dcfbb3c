import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseForYouMember } from "../../contracts/feed.schema";
import { CatalogKeys } from "../../contracts/keyspace";
import { SeenFilter } from "../../contracts/seen-filter";
import {
  appendEvents,
  rankerTestRig,
  seedCatalog,
  stored,
  TEST_PARTITIONS,
  until,
} from "../../testing/origin/ranking/ranker.testing";
import { writeSeenMirror } from "../../testing/origin/ranking/serving/seen-mirror.testing";
import { FeatureProcessor } from "../features/feature-processor";
import { DEFAULT_RANKER_SERVICE } from "./config/ranker.options";

const { redisUrl, redis, onStop, started } = rankerTestRig();

const prefixed = () => `rk${randomUUID().slice(0, 8)}-`;

async function feed(userId: string): Promise<string[]> {
  return (await members(userId)).map((m) => m.id);
}

async function members(userId: string) {
  const raw = await redis.zrevrange(CatalogKeys.forYou(userId), 0, -1);
  return raw.flatMap((m) => parseForYouMember(m) ?? []);
}

describe("ranker role", () => {
  it("fills explore:{region} from upload-events, least viewed first, before anyone watched", async () => {
    const prefix = prefixed();
    await seedCatalog(redis, prefix, ["A", "B"], 3);
    const service = await started(prefix);
    const region = "eu";
    await until(async () => (await redis.zcard(`${prefix}explore:${region}`)) === 6);
    // A video watched past the exposure cap leaves the set on the next pass.
    await redis.hset(`${prefix}vf:${prefix}A-0`, "views", "10000");
    await service.exploration();
    const explore = await redis.zrevrange(`${prefix}explore:${region}`, 0, -1);
    expect(explore).toHaveLength(5);
    expect(explore).not.toContain(`${prefix}A-0`);
    expect(explore[0]).toBe(`${prefix}B-0`);
    expect(await redis.pttl(`${prefix}explore:${region}`)).toBeGreaterThan(0);
  });

  it("closes the loop: likes on A and skips on B in ev:{p} raise A's share in the next refresh", async () => {
    const prefix = prefixed();
    const creators = ["A", "B", "C", "D"];
    await seedCatalog(redis, prefix, creators, 15);
    const processor = new FeatureProcessor({
      redisUrl,
      partitions: TEST_PARTITIONS,
      batchSize: 100,
      keyPrefix: prefix,
      leaseMs: 1_000,
      trendingIntervalMs: 0,
      consumer: undefined,
    });
    await processor.start();
    onStop(() => processor.stop());
    const service = await started(prefix);
    const user = `${prefix}user`;
    const region = "eu";
    await until(async () => (await redis.zcard(`${prefix}explore:${region}`)) > 0);

    await service.refreshUser(user);
    const top = 12;
    const share = (ids: string[], creator: string) =>
      ids.slice(0, top).filter((id) => id.startsWith(`${prefix}${creator}-`)).length / top;
    const before = await feed(user);
    expect(before.length).toBeGreaterThanOrEqual(50);

    const events = [];
    for (let n = 0; n < 5; n++) {
      const a = `${prefix}A-${n}`;
      const b = `${prefix}B-${n}`;
      const creator = { creator_id: `${prefix}A`, audio_id: `${prefix}soundA` };
      events.push(stored(user, region, "impression", a), stored(user, region, "play", a, creator));
      events.push(
        stored(user, region, "complete", a, creator),
        stored(user, region, "like", a, creator),
      );
      const other = { creator_id: `${prefix}B`, audio_id: `${prefix}soundB` };
      events.push(stored(user, region, "impression", b), stored(user, region, "play", b, other));
      events.push(stored(user, region, "skip", b, { ...other, watch_ms: 400 }));
    }
    const refreshesBefore = service.stats.refreshes;
    await appendEvents(redis, prefix, events);
    await until(() => service.stats.events >= events.length);
    // The burst of likes and skips makes the feed due now, not in 5–15 min: the role refreshes it.
    await until(() => service.stats.refreshes > refreshesBefore, 3_000);
    await until(async () => (await redis.exists(`${prefix}ui:${user}`)) === 1);
    await until(async () => {
      const interest = await redis.zscore(`${prefix}ui:${user}`, `c:${prefix}B`);
      return interest !== null;
    });

    await service.refreshUser(user);
    const after = await feed(user);
    console.log(
      `closed loop, top ${top}: A ${share(before, "A")} → ${share(after, "A")}, B ${share(before, "B")} → ${share(after, "B")}`,
    );
    expect(share(after, "A")).toBeGreaterThan(share(before, "A"));
    expect(share(after, "B")).toBeLessThan(share(before, "B"));
    // What the user was shown never comes back.
    expect(after).not.toContain(`${prefix}A-0`);
    expect(after).not.toContain(`${prefix}B-0`);
    for (let i = 2; i < after.length; i++) {
      const run = after.slice(i - 2, i + 1).map((id) => id.split("-").at(-2));
      expect(new Set(run).size, `positions ${i - 2}–${i}`).toBeGreaterThan(1);
    }
    expect(service.stats.learned).toBeGreaterThan(0);
  });

  it("ranks a user it has no events for from Redis: mirror, follows, sequence, and their arm", async () => {
    const prefix = prefixed();
    await seedCatalog(redis, prefix, ["A", "B", "C"], 6);
    const experiment = {
      name: `${prefix}exp`,
      arms: [{ name: "no-fresh", permille: 1000, policy: { freshEvery: 0 } }],
    };
    const service = await started(prefix, { experiment });
    await until(async () => (await redis.zcard(`${prefix}explore:eu`)) === 18);
    // As after a restart: nothing in memory, everything the edge and the processor stored.
    const user = `${prefix}returning`;
    const now = Date.now();
    const seen = new SeenFilter();
    for (const n of [0, 1, 2]) seen.add(`${prefix}A-${n}`, now);
    await writeSeenMirror(redis, user, seen);
    await redis.zadd(`${prefix}follows:${user}`, now, `${prefix}C`);

    await service.refreshUser(user);
    const cold = await members(user);
    expect(cold.length).toBeGreaterThan(0);
    expect(cold.every((m) => m.arm === "no-fresh")).toBe(true);
    expect(cold.map((m) => m.id)).not.toContain(`${prefix}A-0`);
    const fromC = cold.filter((m) => m.id.startsWith(`${prefix}C-`));
    expect(fromC.length).toBeGreaterThan(0);
    expect(fromC.every((m) => m.reason === "social")).toBe(true);
    expect(cold.some((m) => m.reason === "ann")).toBe(false);

    await redis.zadd(`${prefix}recent:${user}`, Date.now(), `${prefix}B-0`);
    await service.refreshUser(user);
    const warm = await members(user);
    expect(warm.some((m) => m.reason === "ann")).toBe(true);
    expect(warm.map((m) => m.id)).not.toContain(`${prefix}B-0`);
    expect(warm.map((m) => m.id)).not.toContain(`${prefix}A-1`);
  });

  it("checkpoints to S3 under versioned keys, restores on start and hot-swaps a newer version", async () => {
    const prefix = prefixed();
    await seedCatalog(redis, prefix, ["A", "B"], 4);
    const writer = await started(prefix);
    const region = "eu";
    const user = `${prefix}u`;
    await appendEvents(redis, prefix, [
      stored(user, region, "like", `${prefix}A-0`),
      stored(user, region, "skip", `${prefix}B-0`),
    ]);
    await until(() => writer.stats.learned >= 2);
    expect(await writer.checkpoint()).toBe(1);

    const reader = await started(prefix, { consumer: "reader" });
    expect(reader.model.version).toBe(1);
    expect(reader.model.catalog.ids).toEqual(writer.model.catalog.ids);
    expect([...reader.model.models.heads.like.weights()]).toEqual([
      ...writer.model.models.heads.like.weights(),
    ]);

    writer.model.ranker.learn(
      writer.model.ranker.state({
        userId: user,
        history: [],
        interest: new Map(),
        recentCreators: [],
      }),
      writer.model.candidate(0, { trending: 0 }, Date.now()) ?? expect.fail("no candidate"),
      { like: 1 },
    );
    expect(await writer.checkpoint()).toBe(2);
    await reader.serving.sync();
    expect(reader.model.version).toBe(2);
    expect([...reader.model.models.heads.like.weights()]).toEqual([
      ...writer.model.models.heads.like.weights(),
    ]);
  });

  it("runs as replicas: each sees every event, one leads (checkpoints), another takes over when it stops", async () => {
    const prefix = prefixed();
    await seedCatalog(redis, prefix, ["A", "B"], 3);
    const replica = { leaseMs: 1_000, checkpointMs: 200 };
    const first = await started(prefix, { ...replica, replica: "a" });
    await until(() => first.isLeader);
    const second = await started(prefix, { ...replica, replica: "b" });
    const user = `${prefix}u`;
    await appendEvents(redis, prefix, [
      stored(user, "eu", "like", `${prefix}A-0`),
      stored(user, "eu", "skip", `${prefix}B-0`),
    ]);
    // A shared consumer group would hand each event to one replica only.
    await until(() => first.stats.learned >= 2 && second.stats.learned >= 2);
    expect(first.users.get(user)?.history).toEqual(second.users.get(user)?.history);
    await until(() => first.stats.checkpoints >= 1);
    await until(() => second.model.version >= 1);
    expect(second.isLeader).toBe(false);
    expect(second.stats.checkpoints).toBe(0);

    await first.stop();
    await until(() => second.isLeader, 5_000);
    const before = second.model.version;
    const written = second.stats.checkpoints;
    await appendEvents(redis, prefix, [stored(user, "eu", "like", `${prefix}A-1`)]);
    await until(() => second.stats.checkpoints > written, 5_000);
    expect(second.model.version).toBeGreaterThan(before);
  });

  it("writes exploration per region: a video shown a lot in one region gives way there only", async () => {
    const prefix = prefixed();
    await seedCatalog(redis, prefix, ["A", "B"], 3);
    const service = await started(prefix, {
      explore: { ...DEFAULT_RANKER_SERVICE.explore, regions: ["eu", "us"] },
    });
    const newest = `${prefix}A-0`;
    await appendEvents(
      redis,
      prefix,
      Array.from({ length: 40 }, (_, i) =>
        stored(`${prefix}viewer${i}`, "us", "impression", newest),
      ),
    );
    await until(() => service.stats.events >= 40);
    await service.exploration();
    const eu = await redis.zrevrange(`${prefix}explore:eu`, 0, -1);
    const us = await redis.zrevrange(`${prefix}explore:us`, 0, -1);
    expect(eu[0]).toBe(newest);
    expect(us).toHaveLength(eu.length);
    expect(us.at(-1)).toBe(newest);
  });

  it("keeps a long-term history from engagement and ranks a returning user personally from it", async () => {
    const prefix = prefixed();
    await seedCatalog(redis, prefix, ["A", "B", "C"], 6);
    const service = await started(prefix);
    const user = `${prefix}returning`;
    const hoursAgo = Date.now() - 3 * 3_600_000;
    const liked = [0, 1, 2].map((n) => `${prefix}A-${n}`);
    await appendEvents(
      redis,
      prefix,
      liked.map((id, n) => ({ ...stored(user, "eu", "like", id), received_at: hoursAgo + n })),
    );
    await until(() => service.stats.events >= liked.length);
    expect(await redis.zrange(`${prefix}ranker:history:${user}`, 0, -1)).toEqual(liked);

    // As after a restart: nothing in memory, nothing in the last 30 minutes, only the history.
    service.users.delete(user);
    await service.refreshUser(user);
    const ranked = await members(user);
    expect(ranked.some((m) => m.reason === "ann")).toBe(true);
    expect(ranked.map((m) => m.id)).not.toContain(liked[0]);
    const unseenA = ranked.slice(0, 5).filter((m) => m.id.startsWith(`${prefix}A-`));
    expect(unseenA.length).toBeGreaterThanOrEqual(2);

    const stranger = `${prefix}stranger`;
    await service.refreshUser(stranger);
    expect((await members(stranger)).some((m) => m.reason === "ann")).toBe(false);
  });
});
