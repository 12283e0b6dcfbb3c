import { Hono } from "hono";
import type { Redis } from "ioredis";
import * as v from "valibot";
import { describeIssue, ErrorCode, errorBody } from "../../contracts/error.schema";
import { FeedRefreshRequestSchema, INTERNAL_AUTH_HEADER } from "../../contracts/feed.schema";
import type { FeedRefreshResponse } from "../../contracts/rank.schema";
import { rankerKeys } from "../ranker/ranker.keys";
import { enqueueRefresh, REFRESH_COALESCE_MS } from "../ranker/refresh.queue";
import { sameSecret } from "./internal-auth";

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
  return new Hono().post("/internal/feed/refresh", async (c) => {
    if (!sameSecret(c.req.header(INTERNAL_AUTH_HEADER) ?? "", options.sharedSecret)) {
      return c.json(
        errorBody(ErrorCode.InternalUnauthorized, `${INTERNAL_AUTH_HEADER}: missing or wrong`),
        401,
      );
    }
    const body = await c.req.json<unknown>().catch(() => undefined);
    if (body === undefined) {
      return c.json(errorBody(ErrorCode.MalformedJson, "body: must be JSON"), 400);
    }
    const parsed = v.safeParse(FeedRefreshRequestSchema, body);
    if (!parsed.success) {
      return c.json(errorBody(ErrorCode.InvalidField, describeIssue(parsed.issues)), 400);
    }
    const { user_id, region } = parsed.output;
    const queued = await enqueueRefresh(
      options.redis,
      keys,
      user_id,
      region,
      options.coalesceMs ?? REFRESH_COALESCE_MS,
    );
    return c.json({ user_id, queued } satisfies FeedRefreshResponse, 202);
  });
}
