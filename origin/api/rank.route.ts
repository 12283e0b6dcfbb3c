import { Hono } from "hono";
import type { Redis } from "ioredis";
import type { Histogram } from "prom-client";
import { type RankerKeys, rankerKeys } from "../../contracts/keyspace";
import {
  type RankMode,
  type RankRequest,
  RankRequestSchema,
  type RankResponse,
} from "../../contracts/rank.schema";
import {
  configFor,
  DEFAULT_RANKING_CONFIG,
  type Experiment,
  type RankingConfig,
} from "../ranking/config/ranking.config";
import type { ModelState } from "../ranking/model/model.state";
import { enqueueRefresh, REFRESH_COALESCE_MS } from "../ranking/scheduling/refresh.queue";
import { buildFeed } from "../ranking/serving/feed.builder";
import {
  feedRequestFor,
  hidesVideo,
  readUserContext,
  type UserFeedContext,
  withRequest,
} from "../ranking/serving/user.context";
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
  /** The A/B experiment users are ranked under (RANKING_EXPERIMENT); absent: everyone is control. */
  experiment?: Experiment;
  /** Observes the time to rank each answer, labelled `stage` by the mode it was ranked in. */
  latency?: Histogram<"stage">;
  /** Repeated requests for one user within this window queue one background refresh. */
  coalesceMs?: number;
}

export const DEFAULT_STAGE1_ABOVE_DEPTH = 8;
export const DEFAULT_TRENDING_ABOVE_DEPTH = 32;

/**
 * `POST /v1/rank`: ranks for one user synchronously, in their A/B arm, from the same context the
 * background ranker uses (the edge's seen and suppressed mirrors, the processor's short-term
 * sequence and follows) plus the request's `recent` and `exclude`. The queue depth (requests in
 * flight in this process) picks the mode, so a burst degrades quality instead of latency: both
 * stages, then stage 1 only, then trending. Each answer also queues the user for the background
 * ranker, so a user served synchronously soon has a precomputed feed.
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
      const now = Date.now();
      const rankStarted = performance.now();
      const queued = enqueueRefresh(
        options.redis,
        keys,
        request.user_id,
        request.region,
        options.coalesceMs ?? REFRESH_COALESCE_MS,
        now,
      ).catch((error: unknown) => {
        // The synchronous answer matters more; the edge asks again when fyp runs dry.
        console.warn("api: background refresh not queued", error);
      });
      // The user's arm even when overloaded: experiments compare users by assignment.
      const { config, arm } = configFor(
        limitedConfig(request.limit),
        options.experiment,
        request.user_id,
      );
      const context = await readUserContext(
        options.redis,
        keys,
        request.user_id,
        state?.catalog,
        now,
      );
      let items: RankResponse["items"];
      if (!state || mode === "trending") {
        const excluded = new Set(request.exclude);
        const hidden = hidesVideo(context, state?.catalog);
        items = await trending(
          options.redis,
          keys,
          request,
          (id) => excluded.has(id) || hidden(id),
        );
      } else {
        items = await ranked(options.redis, keys, state, request, context, config, mode, now);
      }
      options.latency?.observe({ stage: mode }, (performance.now() - rankStarted) / 1000);
      await queued;
      const response: RankResponse = {
        user_id: request.user_id,
        mode,
        model_version: state?.version ?? 0,
        arm,
        items,
        took_ms: performance.now() - started,
      };
      return c.json(response);
    } finally {
      inFlight--;
    }
  });
}

/** The answer holds `limit` videos; stage 1 keeps at least that many. */
function limitedConfig(limit: number): RankingConfig {
  return {
    ...DEFAULT_RANKING_CONFIG,
    stage1Keep: Math.max(DEFAULT_RANKING_CONFIG.stage1Keep, limit),
    feedSize: limit,
  };
}

/** Both stages (or stage 1 alone) on the model; a cold start with nothing to explore gets `[]`. */
async function ranked(
  redis: Redis,
  keys: RankerKeys,
  state: ModelState,
  request: RankRequest,
  stored: UserFeedContext,
  config: RankingConfig,
  mode: Exclude<RankMode, "trending">,
  now: number,
): Promise<RankResponse["items"]> {
  const items = (ids: readonly string[]) =>
    ids.flatMap((id) => {
      const item = state.catalog.lookup(id);
      return item === undefined ? [] : [item];
    });
  const context = withRequest(stored, items(request.recent), items(request.exclude), now);
  const feed = await buildFeed(
    redis,
    keys,
    state,
    feedRequestFor(state.catalog, request.user_id, request.region, context),
    { config, mode, now },
  );
  return feed.videos.map((video) => ({ video_id: video.videoId, reason: video.reason }));
}

/** Regional trending, topped up from exploration, minus what is hidden from the user. */
async function trending(
  redis: Redis,
  keys: RankerKeys,
  request: RankRequest,
  hidden: (videoId: string) => boolean,
): Promise<RankResponse["items"]> {
  const { region, limit } = request;
  const [top, explore] = await Promise.all([
    redis.zrevrange(keys.features.trending(region), 0, limit * 2),
    redis.zrevrange(keys.explore(region), 0, limit * 2),
  ]);
  const items: RankResponse["items"] = [];
  const taken = new Set<string>();
  for (const [ids, reason] of [
    [top, "trending"],
    [explore, "exploration"],
  ] as const) {
    for (const id of ids) {
      if (items.length >= limit || taken.has(id) || hidden(id)) continue;
      taken.add(id);
      items.push({ video_id: id, reason });
    }
  }
  return items;
}
