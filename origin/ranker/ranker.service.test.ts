import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { parseForYouMember } from "../../contracts/feed.schema";
import { CatalogKeys } from "../../contracts/video.schema";
import { testS3Config } from "../dev/test-s3";
import { FeatureProcessor } from "../features/feature-processor";
import { createS3Client } from "../storage/s3.client";
import type { RankerService } from "./ranker.service";
import {
  appendEvents,
  rankerService,
  seedCatalog,
  stored,
  TEST_PARTITIONS,
  until,
} from "./ranker.testing";

const redisUrl = inject("redisUrl");
const redis = new Redis(redisUrl);
const bucket = inject("s3Bucket");
const s3 = createS3Client(testS3Config());
const stops: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  redis.disconnect();
  s3.destroy();
});

async function started(prefix: string, overrides = {}): Promise<RankerService> {
  const service = rankerService(redisUrl, s3, bucket, prefix, overrides);
  await service.start();
  stops.push(() => service.stop());
  return service;
}

const prefixed = () => `rk${randomUUID().slice(0, 8)}-`;

async function feed(userId: string): Promise<string[]> {
  const members = await redis.zrevrange(CatalogKeys.forYou(userId), 0, -1);
  return members.flatMap((m) => parseForYouMember(m)?.id ?? []);
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
    stops.push(() => processor.stop());
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
});
