import { Hono } from "hono";
import type { Redis } from "ioredis";
import { FeedRefreshRequestSchema } from "../../contracts/feed.schema";
import { rankerKeys } from "../../contracts/keyspace";
import type { FeedRefreshResponse } from "../../contracts/rank.schema";
import { enqueueRefresh, REFRESH_COALESCE_MS } from "../ranking/scheduling/refresh.queue";
import { readInternalJson, requireInternal } from "./internal-auth";

export interface RefreshRouteOptions {
  redis: Redis;
  sharedSecret: string;
  keyPrefix?: string;
  coalesceMs?: number;
}

/**
 * `POST /internal/feed/refresh`: the edge's request to re-rank a user whose `fyp:{user}` ran out.
 * Queues it for the `ranker` role (coalesced per user) and answers 202 at once.
 */
export function internalRefreshRoute(options: RefreshRouteOptions): Hono {
  const keys = rankerKeys(options.keyPrefix ?? "");
  return new Hono().post(
    "/internal/feed/refresh",
    requireInternal(options.sharedSecret),
    async (c) => {
      const parsed = await readInternalJson(c, FeedRefreshRequestSchema);
      if (!parsed.ok) return parsed.response;
      const { user_id, region } = parsed.value;
      const queued = await enqueueRefresh(
        options.redis,
        keys,
        user_id,
        region,
        options.coalesceMs ?? REFRESH_COALESCE_MS,
      );
      return c.json({ user_id, queued } satisfies FeedRefreshResponse, 202);
    },
  );
}
