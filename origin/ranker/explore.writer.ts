import type { Redis } from "ioredis";
import type { ModelState } from "./model.state";
import type { RankerKeys } from "./ranker.keys";

export interface ExploreOptions {
  /** Videos per `explore:{region}`; the edge reads the top 50. */
  size: number;
  /** Videos viewed more than this are exposed enough: trending and ranking take over. */
  maxViews: number;
  /** Regions always written, besides those seen in trending and events (the web app's `eu`). */
  regions: readonly string[];
  /** The set outlives a stopped ranker this long, then the edge falls back to trending's tail. */
  ttlMs: number;
}

export const DEFAULT_EXPLORE: ExploreOptions = {
  size: 100,
  maxViews: 200,
  regions: ["eu"],
  ttlMs: 24 * 3_600_000,
};

/**
 * Rewrites `explore:{region}` for every known region: live videos with few views, scored
 * exp(−age_h/48)/(1 + views) so the newest and least seen come first. Views are the feature
 * processor's all-time counter in `vf:{video}`. Each set is replaced in one MULTI.
 */
export async function writeExploration(
  redis: Redis,
  keys: RankerKeys,
  state: ModelState,
  options: ExploreOptions,
  now = Date.now(),
): Promise<number> {
  const live = [...state.catalog.live()];
  const pipeline = redis.pipeline();
  for (const meta of live) pipeline.hget(keys.features.videoFeatures(meta.videoId), "views");
  const [views = [], known, fromEvents] = await Promise.all([
    live.length > 0 ? pipeline.exec() : Promise.resolve([]),
    redis.smembers(keys.features.trendingRegions()),
    redis.hvals(keys.regions()),
  ]);
  const scored: [number, string][] = [];
  for (const [i, meta] of live.entries()) {
    const count = Number(views?.[i]?.[1] ?? 0) || 0;
    if (count > options.maxViews) continue;
    const ageHours = Math.max(0, (now - meta.createdAt) / 3_600_000);
    scored.push([Math.exp(-ageHours / 48) / (1 + count), meta.videoId]);
  }
  scored.sort((a, b) => b[0] - a[0]);
  const top = scored.slice(0, options.size).flat();
  const regions = new Set([...options.regions, ...known, ...fromEvents]);
  const multi = redis.multi();
  for (const region of regions) {
    multi.del(keys.explore(region));
    if (top.length > 0)
      multi.zadd(keys.explore(region), ...top).pexpire(keys.explore(region), options.ttlMs);
  }
  await multi.exec();
  return top.length / 2;
}
