import type { Redis } from "@upstash/redis/cloudflare";
import type { FeedItem } from "../../contracts/feed.schema";
import { CatalogKeys } from "../../contracts/keyspace";
import { withDeadline } from "../../worker-lib/deadline";
import { type RedisEnv, rawRedisFromEnv } from "../../worker-lib/redis.client";
import { type Candidate, hydrateCandidates } from "../../worker-lib/video-card";

/** Trending changes every ~30 s (the origin's refresh period), so the edge reuses it that long. */
export const FALLBACK_FRESH_MS = 30_000;
/** A stale copy stays in the cache for a day: it is what users get while Redis is down. */
const FALLBACK_KEEP_SECONDS = 24 * 3600;
const TRENDING_TOP = 100;
const TRENDING_DEPTH = 200;
const EXPLORE_DEPTH = 50;
/** Every 4th fallback slot goes to exploration, so a fallback feed still discovers new videos. */
const EXPLORATION_EVERY = 4;
const REDIS_DEADLINE_MS = 500;
const CACHED_AT = "x-edgefeed-cached-at";

export type FallbackSource = "edge-cache" | "redis" | "stale-edge-cache" | "isolate" | "none";

// The last good set per region in this isolate: a page even when the Cache API entry is gone.
const lastGood = new Map<string, FeedItem[]>();
const inflight = new Map<string, Promise<FeedItem[]>>();

/**
 * The fallback set for a region (readFallback's chain), hydrated. Cache API first (fresh for
 * 30 s), then Redis (written back to the cache), then any stale copy. `defer` receives the
 * cache write so it runs after the response (ctx.waitUntil).
 */
export async function loadFallback(
  env: RedisEnv,
  region: string,
  cacheOrigin: string,
  defer: (work: Promise<unknown>) => void,
): Promise<{ items: FeedItem[]; source: FallbackSource }> {
  const cache = caches.default;
  const key = new Request(`${cacheOrigin}/__edgefeed/fallback/${region}`);
  const cached = await cache.match(key);
  if (cached && Date.now() - Number(cached.headers.get(CACHED_AT)) < FALLBACK_FRESH_MS) {
    return { items: await cached.json(), source: "edge-cache" };
  }
  try {
    let pending = inflight.get(region);
    if (!pending) {
      pending = withDeadline(
        readFallback(rawRedisFromEnv(env), region),
        REDIS_DEADLINE_MS * 2,
        "fallback read",
      ).finally(() => inflight.delete(region));
      inflight.set(region, pending);
    }
    const items = await pending;
    if (items.length > 0) {
      lastGood.set(region, items);
      const response = new Response(JSON.stringify(items), {
        headers: {
          "content-type": "application/json",
          "cache-control": `public, max-age=${FALLBACK_KEEP_SECONDS}`,
          [CACHED_AT]: String(Date.now()),
        },
      });
      defer(cache.put(key, response));
      return { items, source: "redis" };
    }
  } catch {
    // Redis is unreachable or slow: the stale copies below are exactly what they are kept for.
  }
  if (cached) return { items: await cached.json(), source: "stale-edge-cache" };
  const remembered = lastGood.get(region);
  return remembered ? { items: remembered, source: "isolate" } : { items: [], source: "none" };
}

/**
 * The never-blank chain, one pipelined read: the region's trending, then every region's
 * (`trending-global`) behind it, with exploration slots from the region's explore set, then the
 * newest live videos. Any region gets a page while one video is live.
 */
async function readFallback(redis: Redis, region: string): Promise<FeedItem[]> {
  const pipeline = redis.pipeline();
  const top = (key: string, depth: number) =>
    pipeline.zrange<(string | number)[]>(key, 0, depth - 1, { rev: true });
  top(CatalogKeys.trending(region), TRENDING_DEPTH);
  top(CatalogKeys.explore(region), EXPLORE_DEPTH);
  top(CatalogKeys.trendingGlobal(), TRENDING_TOP);
  top(CatalogKeys.newestLive(), EXPLORE_DEPTH);
  const [trending = [], explore = [], global = [], newest = []] =
    await pipeline.exec<(string | number)[][]>();
  return hydrateCandidates(
    redis,
    fallbackOrder({
      trending: trending.map(String),
      explore: explore.map(String),
      global: global.map(String),
      newest: newest.map(String),
    }),
  );
}

export interface FallbackSources {
  trending: readonly string[];
  explore: readonly string[];
  global: readonly string[];
  newest: readonly string[];
}

/**
 * The fallback's order: trending (the region's top, then the global top) with every 4th slot from
 * exploration (the region's explore set, else its trending tail), then the newest live videos.
 */
export function fallbackOrder(sources: FallbackSources): Candidate[] {
  const { trending, explore, global, newest } = sources;
  const top = [...trending.slice(0, TRENDING_TOP), ...global];
  const trendingSet = new Set(top);
  const exploration = explore.length > 0 ? explore : trending.slice(TRENDING_TOP);
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  const add = (id: string | undefined, reason: Candidate["reason"]) => {
    if (id === undefined || seen.has(id)) return;
    seen.add(id);
    candidates.push({ id, reason });
  };
  let t = 0;
  let e = 0;
  while (t < top.length || e < exploration.length) {
    const slot = candidates.length % EXPLORATION_EVERY === EXPLORATION_EVERY - 1;
    const id = slot && e < exploration.length ? exploration[e++] : (top[t++] ?? exploration[e++]);
    add(id, id !== undefined && trendingSet.has(id) ? "fallback" : "exploration");
  }
  for (const id of newest) add(id, "fresh");
  return candidates;
}
