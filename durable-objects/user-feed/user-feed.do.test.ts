import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { FeedItem } from "../../contracts/feed.schema";
import { CatalogKeys } from "../../contracts/video.schema";
import { DEAD_URL, rank, redis, seedVideos } from "../../edge/feed/feed.testing";
import { hydrateCandidates } from "../../edge/feed/video-card";
import { redisFromEnv } from "../../edge/redis/redis.client";
import { FeedEngine, type PageRequest } from "./feed-engine";

const stubFor = (userId: string) => env.USER_FEED.get(env.USER_FEED.idFromName(userId));

const request = (userId: string, after: string | null = null): PageRequest => ({
  userId,
  region: "eu",
  sessionId: "s1",
  after,
  limit: 8,
});

async function fallbackItems(prefix: string, n: number): Promise<FeedItem[]> {
  const ids = await seedVideos(prefix, n);
  return hydrateCandidates(
    redis,
    ids.map((id) => ({ id, reason: "fallback" as const })),
  );
}

describe("UserFeed", () => {
  it("keeps pages, seen-filter and buffer across eviction", async () => {
    await rank(CatalogKeys.forYou("d-evict"), await seedVideos("evict", 40));
    const stub = stubFor("d-evict");
    const first = await stub.page(request("d-evict"));
    if (first.kind !== "page") throw new Error("expected a page");
    const second = await stub.page(request("d-evict", first.pageId));
    if (second.kind !== "page") throw new Error("expected a page");
    await runInDurableObject(stub, async (_, state) => {
      // A fresh engine over the same storage is what the object is after eviction.
      const revived = new FeedEngine(state.storage, redisFromEnv(env));
      const replay = await revived.page(request("d-evict", first.pageId));
      expect(replay).toEqual({ ...second, refresh: null });
      const third = await revived.page(request("d-evict", second.pageId));
      if (third.kind !== "page") throw new Error("expected a page");
      const ids = [...first.items, ...second.items, ...third.items].map((item) => item.id);
      expect(new Set(ids).size).toBe(24);
    });
  });

  it("skips suppressed creators, sounds and videos on the following pages", async () => {
    const ids = await seedVideos("supp", 60, {
      creator: (i) => (i % 3 === 0 ? "c-boring" : `c-${i}`),
      audio: (i) => (i % 5 === 0 ? "a-annoying" : `a-${i}`),
    });
    await rank(CatalogKeys.forYou("d-supp"), ids);
    const stub = stubFor("d-supp");
    await stub.suppress({ creator_id: "c-boring" });
    await stub.suppress({ audio_id: "a-annoying", video_id: "supp-1" });
    const items: FeedItem[] = [];
    let after: string | null = null;
    for (let i = 0; i < 3; i++) {
      const page = await stub.page(request("d-supp", after));
      if (page.kind !== "page") throw new Error("expected a page");
      items.push(...page.items);
      after = page.pageId;
    }
    expect(items).toHaveLength(24);
    expect(items.some((item) => item.creator_id === "c-boring")).toBe(false);
    expect(items.some((item) => item.audio_id === "a-annoying")).toBe(false);
    expect(items.some((item) => item.id === "supp-1")).toBe(false);
  });

  it("appends every served video to the impressions stream", async () => {
    await rank(CatalogKeys.forYou("d-impr"), await seedVideos("impr", 20));
    const stub = stubFor("d-impr");
    const page = await stub.page(request("d-impr"));
    if (page.kind !== "page") throw new Error("expected a page");
    await stub.flushImpressions();
    const entries = await redis.xrevrange("impressions", "+", "-", 200);
    const mine = Object.values(entries).filter((fields) => fields.page_id === page.pageId);
    expect(mine.map((fields) => fields.video_id).sort()).toEqual(
      page.items.map((item) => item.id).sort(),
    );
    expect(mine[0]).toMatchObject({ user_id: "d-impr", session_id: "s1" });
  });

  it("asks for the fallback when Redis is unreachable and serves it, filtered", async () => {
    const fallback = await fallbackItems("deadredis", 20);
    await runInDurableObject(stubFor("d-dead"), async (_, state) => {
      const engine = new FeedEngine(
        state.storage,
        redisFromEnv({ ...env, UPSTASH_REDIS_REST_URL: DEAD_URL }),
      );
      const need = await engine.page(request("d-dead"));
      expect(need).toEqual({ kind: "need-fallback", cause: "redis_unreachable" });
      const first = await engine.page({
        ...request("d-dead"),
        fallback: { items: fallback, cause: "redis_unreachable" },
      });
      if (first.kind !== "page") throw new Error("expected a page");
      expect(first.fallback).toBe("redis_unreachable");
      expect(first.refresh).toBe("redis_unreachable");
      expect(first.items.every((item) => item.reason === "fallback")).toBe(true);
      const second = await engine.page({
        ...request("d-dead", first.pageId),
        fallback: { items: fallback, cause: "redis_unreachable" },
      });
      if (second.kind !== "page") throw new Error("expected a page");
      // Refresh requests to the origin are coalesced per user.
      expect(second.refresh).toBeNull();
      const ids = new Set([...first.items, ...second.items].map((item) => item.id));
      expect(ids.size).toBe(16);
      // Never blank: with every fallback video seen, it repeats them rather than show nothing.
      const third = await engine.page({
        ...request("d-dead", second.pageId),
        fallback: { items: fallback, cause: "redis_unreachable" },
      });
      if (third.kind !== "page") throw new Error("expected a page");
      expect(third.items.length).toBeGreaterThanOrEqual(5);
    });
  });
});
