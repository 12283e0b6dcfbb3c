import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { CONTROL_ARM, parseForYouMember } from "../../../contracts/feed.schema";
import { CatalogKeys } from "../../../contracts/keyspace";
import { DEFAULT_FOR_YOU_TIMING, jitteredDelay, writeForYou } from "./for-you.writer";

const redis = new Redis(inject("redisUrl"));
afterAll(() => redis.quit());

describe("writeForYou", () => {
  it("replaces fyp:{user} so ZPOPMAX returns the best first with its arm, and a jittered expiry", async () => {
    const user = `fyp-writer-${Date.now()}`;
    await redis.zadd(CatalogKeys.forYou(user), 99, "stale-video");
    const delay = await writeForYou(
      redis,
      user,
      [
        { videoId: "best", reason: "ann" },
        { videoId: "second", reason: "trending" },
        { videoId: "third", reason: "exploration" },
      ],
      "heavy-skip",
    );
    const popped = await redis.zpopmax(CatalogKeys.forYou(user), 10);
    const members = popped.filter((_, i) => i % 2 === 0).map((m) => parseForYouMember(m));
    expect(members).toEqual([
      { id: "best", reason: "ann", arm: "heavy-skip" },
      { id: "second", reason: "trending", arm: "heavy-skip" },
      { id: "third", reason: "exploration", arm: "heavy-skip" },
    ]);
    expect(delay).toBeGreaterThanOrEqual(DEFAULT_FOR_YOU_TIMING.refreshMinMs);
    expect(delay).toBeLessThanOrEqual(DEFAULT_FOR_YOU_TIMING.refreshMaxMs);
  });

  it("sets a TTL of the refresh delay plus grace", async () => {
    const user = `fyp-writer-ttl-${Date.now()}`;
    const delay = await writeForYou(redis, user, [{ videoId: "v1", reason: "ann" }], CONTROL_ARM);
    const ttl = await redis.pttl(CatalogKeys.forYou(user));
    expect(ttl).toBeGreaterThan(delay);
    expect(ttl).toBeLessThanOrEqual(delay + DEFAULT_FOR_YOU_TIMING.graceMs);
  });

  it("spreads refreshes over the whole interval", () => {
    let state = 1;
    const random = () => {
      state = (state * 48271) % 2147483647;
      return state / 2147483647;
    };
    const delays = Array.from({ length: 1000 }, () =>
      jitteredDelay(DEFAULT_FOR_YOU_TIMING, random),
    );
    const spread = Math.max(...delays) - Math.min(...delays);
    const interval = DEFAULT_FOR_YOU_TIMING.refreshMaxMs - DEFAULT_FOR_YOU_TIMING.refreshMinMs;
    expect(spread).toBeGreaterThan(0.95 * interval);
  });
});
