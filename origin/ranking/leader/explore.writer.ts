import type { Redis } from "ioredis";
import type { RankerKeys } from "../../../contracts/keyspace";
import type { ModelState } from "../model/model.state";

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

export interface Exposure {
  /** Impressions of `item` in `region` that the ranker saw: what "under-exposed there" means. */
  regional(region: string, item: number): number;
}

const NO_REGIONAL_EXPOSURE: Exposure = { regional: () => 0 };

/**
 * Rewrites `explore:{region}` for every known region: live videos with few views, scored
 * exp(−age_h/48)/(1 + views + regional impressions) so the newest and least seen in that region
 * come first. Views are the feature processor's all-time counter in `vf:{video}`; a video shown a
 * lot in one region gives way there to one that region has not seen. Each set is replaced in one
 * MULTI. Returns the size of the largest set.
 */
export async function writeExploration(
  redis: Redis,
  keys: RankerKeys,
  state: ModelState,
  options: ExploreOptions,
  exposure: Exposure = NO_REGIONAL_EXPOSURE,
  now = Date.now(),
): Promise<number> {
  const live = [...state.catalog.live()];
  const pipeline = redis.pipeline();
  for (const meta of live) pipeline.hget(keys.features.videoFeatures(meta.videoId), "views");
  const [views = [], known, fromEvents] = await Promise.all([
    live.length > 0 ? pipeline.exec() : Promise.resolve([]),
    redis.smembers(keys.features.trendingRegions()),
    redis.smembers(keys.regionSet()),
  ]);
  const eligible: { item: number; videoId: string; views: number; freshness: number }[] = [];
  for (const [i, meta] of live.entries()) {
    const count = Number(views?.[i]?.[1] ?? 0) || 0;
    if (count > options.maxViews) continue;
    const ageHours = Math.max(0, (now - meta.createdAt) / 3_600_000);
    eligible.push({
      item: meta.item,
      videoId: meta.videoId,
      views: count,
      freshness: Math.exp(-ageHours / 48),
    });
  }
  const regions = new Set([...options.regions, ...known, ...fromEvents]);
  const multi = redis.multi();
  let largest = 0;
  for (const region of regions) {
    const scored = eligible
      .map((v): [number, string] => [
        v.freshness / (1 + v.views + exposure.regional(region, v.item)),
        v.videoId,
      ])
      .sort((a, b) => b[0] - a[0])
      .slice(0, options.size);
    largest = Math.max(largest, scored.length);
    multi.del(keys.explore(region));
    if (scored.length > 0) {
      multi
        .zadd(keys.explore(region), ...scored.flat())
        .pexpire(keys.explore(region), options.ttlMs);
    }
  }
  await multi.exec();
  return largest;
}
