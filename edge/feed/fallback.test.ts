import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CatalogKeys } from "../../contracts/keyspace";
import { DEAD_URL, rank, redis, seedVideos } from "../../testing/worker-lib/redis.testing";
import { loadFallback } from "./fallback";

const ORIGIN = "http://edge.test";

async function load(region: string, bindings: Env = env) {
  const ctx = createExecutionContext();
  const result = await loadFallback(bindings, region, ORIGIN, (work) => ctx.waitUntil(work));
  await waitOnExecutionContext(ctx);
  return result;
}

describe("loadFallback", () => {
  it("reads trending from Redis once, then from the edge cache", async () => {
    const own = await seedVideos("fall-a", 12);
    await rank(CatalogKeys.trending("fa"), own);
    const first = await load("fa");
    expect(first.source).toBe("redis");
    // The run's other tests fill trending-global and live:newest, which follow the region's own.
    expect(first.items.slice(0, 12).map((item) => item.id)).toEqual(own);
    // Every 4th slot is exploration; with 12 trending videos it comes from trending's tail.
    expect(first.items.map((item) => item.reason).slice(0, 4)).toEqual([
      "fallback",
      "fallback",
      "fallback",
      "fallback",
    ]);
    const second = await load("fa");
    expect(second.source).toBe("edge-cache");
    expect(second.items).toEqual(first.items);
  });

  it("mixes in the exploration set every 4th slot", async () => {
    await rank(CatalogKeys.trending("fe"), await seedVideos("fall-e", 10));
    await rank("explore:fe", await seedVideos("explore-e", 5));
    const { items } = await load("fe");
    expect(items.map((item) => item.reason).slice(0, 8)).toEqual([
      "fallback",
      "fallback",
      "fallback",
      "exploration",
      "fallback",
      "fallback",
      "fallback",
      "exploration",
    ]);
  });

  it("serves a stale cached copy when Redis is down", async () => {
    const items = await seedVideos("fall-s", 3);
    await caches.default.put(
      `${ORIGIN}/__edgefeed/fallback/fs`,
      new Response(JSON.stringify(items.map((id) => ({ id }))), {
        headers: { "cache-control": "public, max-age=86400", "x-edgefeed-cached-at": "0" },
      }),
    );
    const result = await load("fs", { ...env, UPSTASH_REDIS_REST_URL: DEAD_URL });
    expect(result.source).toBe("stale-edge-cache");
    expect(result.items.map((item) => item.id)).toEqual(items);
  });

  // `live:newest` is shared with every test of the run that makes a video live: these ids go in
  // with scores ahead of now, so they are its newest whatever else runs.
  async function newestAhead(ids: readonly string[]) {
    const ahead = Date.now() + 10 * 365 * 86_400_000;
    for (const [i, id] of ids.entries()) {
      await redis.zadd(CatalogKeys.newestLive(), { score: ahead - i, member: id });
    }
  }

  it("serves the newest live videos in a region when no region has trending", async () => {
    await redis.del(CatalogKeys.trendingGlobal());
    const newest = await seedVideos("fall-n", 6);
    await newestAhead(newest);
    const { items, source } = await load("zn");
    expect(source).toBe("redis");
    expect(items.slice(0, 6).map((item) => [item.id, item.reason])).toEqual(
      newest.map((id) => [id, "fresh"]),
    );
  });

  it("serves every region's trending to a region with none of its own, then the newest", async () => {
    await redis.del(CatalogKeys.trendingGlobal());
    const global = await seedVideos("fall-g", 5);
    await rank(CatalogKeys.trendingGlobal(), global);
    const newest = await seedVideos("fall-gn", 3);
    await newestAhead(newest);
    const { items } = await load("zq");
    expect(items.slice(0, 8).map((item) => [item.id, item.reason])).toEqual([
      ...global.map((id) => [id, "fallback"]),
      ...newest.map((id) => [id, "fresh"]),
    ]);
  });

  it("puts a region's own trending ahead of the global list", async () => {
    const own = await seedVideos("fall-o", 3);
    await rank(CatalogKeys.trending("fo"), own);
    await redis.del(CatalogKeys.trendingGlobal());
    const global = await seedVideos("fall-og", 3);
    await rank(CatalogKeys.trendingGlobal(), global);
    const { items } = await load("fo");
    expect(items.map((item) => item.id).slice(0, 6)).toEqual([...own, ...global]);
  });
});
