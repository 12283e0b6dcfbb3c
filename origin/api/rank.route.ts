import { Hono } from "hono";
import type { Redis } from "ioredis";
import { CONTROL_ARM } from "../../contracts/feed.schema";
import { type RankMode, RankRequestSchema, type RankResponse } from "../../contracts/rank.schema";
import { buildFeed } from "../ranker/feed.builder";
import type { ModelState } from "../ranker/model.state";
import { rankerKeys } from "../ranker/ranker.keys";
import { DEFAULT_RANKING_CONFIG } from "../ranking/ranking.config";
import { readInternalJson, requireInternal } from "./internal-auth";

export interface RankRouteOptions {
  redis: Redis;
  sharedSecret: string;
  /** The model to rank with; undefined while it loads (answers fall back to trending). */
  model: () => ModelState | undefined;
  keyPrefix?: string;
  /** Requests in flight (this one included) above which stage 2 is skipped. */
  stage1AboveDepth?: number;
  /** Requests in flight above which the answer is regional trending, no model at all. */
  trendingAboveDepth?: number;
}

export const DEFAULT_STAGE1_ABOVE_DEPTH = 8;
export const DEFAULT_TRENDING_ABOVE_DEPTH = 32;

/**
 * `POST /v1/rank`: ranks for one user synchronously. The queue depth (requests in flight in this
 * process) picks the mode, so a burst degrades quality instead of latency: both stages, then
 * stage 1 only, then trending.
 */
export function rankRoute(options: RankRouteOptions): Hono {
  const keys = rankerKeys(options.keyPrefix ?? "");
  const stage1Above = options.stage1AboveDepth ?? DEFAULT_STAGE1_ABOVE_DEPTH;
  const trendingAbove = options.trendingAboveDepth ?? DEFAULT_TRENDING_ABOVE_DEPTH;
  let inFlight = 0;
  return new Hono().post("/v1/rank", requireInternal(options.sharedSecret), async (c) => {
    const started = performance.now();
    const parsed = await readInternalJson(c, RankRequestSchema);
    if (!parsed.ok) return parsed.response;
    const request = parsed.value;
    inFlight++;
    try {
      const state = options.model();
      const mode: RankMode =
        !state || inFlight > trendingAbove
          ? "trending"
          : inFlight > stage1Above
            ? "stage1"
            : "full";
      const exclude = new Set(request.exclude);
      let items: RankResponse["items"];
      if (mode === "trending" || !state) {
        items = await trending(options.redis, keys, request.region, request.limit, exclude);
      } else {
        const items_ = (ids: readonly string[]) =>
          ids.flatMap((id) => {
            const item = state.catalog.lookup(id);
            return item === undefined ? [] : [item];
          });
        const excluded = new Set(items_(request.exclude));
        const history = items_(request.recent);
        const recentCreators = history
          .slice(-5)
          .flatMap((item) => state.catalog.get(item)?.creatorId ?? []);
        const feed = await buildFeed(
          options.redis,
          keys,
          state,
          {
            userId: request.user_id,
            region: request.region,
            history,
            recentCreators,
            seen: (item) => excluded.has(item),
            suppressed: () => false,
            follows: [],
          },
          {
            ...DEFAULT_RANKING_CONFIG,
            stage1Keep: Math.max(DEFAULT_RANKING_CONFIG.stage1Keep, request.limit),
            feedSize: request.limit,
          },
          mode,
        );
        items = feed.videos.map((video) => ({ video_id: video.videoId, reason: video.reason }));
      }
      const response: RankResponse = {
        user_id: request.user_id,
        mode,
        model_version: state?.version ?? 0,
        arm: CONTROL_ARM,
        items,
        took_ms: performance.now() - started,
      };
      return c.json(response);
    } finally {
      inFlight--;
    }
  });
}

/** Regional trending, topped up from exploration; the answer that needs no model. */
async function trending(
  redis: Redis,
  keys: ReturnType<typeof rankerKeys>,
  region: string,
  limit: number,
  exclude: ReadonlySet<string>,
): Promise<RankResponse["items"]> {
  const [top, explore] = await Promise.all([
    redis.zrevrange(keys.features.trending(region), 0, limit * 2),
    redis.zrevrange(keys.explore(region), 0, limit * 2),
  ]);
  const items: RankResponse["items"] = [];
  const taken = new Set(exclude);
  for (const [ids, reason] of [
    [top, "trending"],
    [explore, "exploration"],
  ] as const) {
    for (const id of ids) {
      if (items.length >= limit || taken.has(id)) continue;
      taken.add(id);
      items.push({ video_id: id, reason });
    }
  }
  return items;
}
