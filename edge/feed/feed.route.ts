import { Hono } from "hono";
import * as v from "valibot";
import { describeIssue, ErrorCode } from "../../contracts/error.schema";
import { FEED_PAGE_DEFAULT, type FeedPage, FeedQuerySchema } from "../../contracts/feed.schema";
import type { PageRequest, PageResult } from "../../durable-objects/user-feed/feed-engine";
import { metrics } from "../../worker-lib/metrics";
import { jsonError } from "../http/errors";
import { prewarm } from "../prewarm/prewarm";
import { requireSession, type SessionVariables } from "../session/require-session";
import { loadFallback } from "./fallback";
import { signCursor, verifyCursor } from "./feed-cursor";
import { requestRefresh } from "./origin-refresh";

/**
 * `GET /v1/feed?cursor=&limit=`: the next page of the caller's For You feed from their UserFeed
 * object. The user comes from the session, never the query; a cursor is honoured only for the
 * user it was signed for. When the object has too few ranked candidates it answers
 * `need-fallback`, and the page is completed from regional trending and exploration.
 */
export const feedRoute = new Hono<{ Bindings: Env; Variables: SessionVariables }>().get(
  "/v1/feed",
  requireSession(),
  async (c) => {
    const started = performance.now();
    const query = v.safeParse(FeedQuerySchema, c.req.query());
    if (!query.success) {
      return jsonError(c, 400, ErrorCode.InvalidField, describeIssue(query.issues));
    }
    const { userId, region, sessionId } = c.var.session;
    let after: string | null = null;
    if (query.output.cursor !== undefined) {
      const claims = await verifyCursor(c.env.SIGNING_SECRET, query.output.cursor);
      if (!claims) {
        return jsonError(c, 401, ErrorCode.FeedCursorInvalid, "cursor: invalid signature");
      }
      if (claims.userId !== userId) {
        return jsonError(c, 403, ErrorCode.FeedCursorForbidden, "cursor: issued to another user");
      }
      after = claims.pageId;
    }

    const defer = (work: Promise<unknown>) => c.executionCtx.waitUntil(work);
    const cacheOrigin = new URL(c.req.url).origin;
    const limit = query.output.limit ?? FEED_PAGE_DEFAULT;
    const request = { userId, region, sessionId, after, limit };
    const result = await nextPage(c.env, request, cacheOrigin, defer);
    if (result.items.length === 0) {
      return jsonError(
        c,
        503,
        ErrorCode.FeedUnavailable,
        "feed: no videos available, retry shortly",
      );
    }
    if (result.refresh) {
      defer(requestRefresh(c.env, { user_id: userId, region, cause: result.refresh }));
    }
    defer(prewarm(c.env, result.items, cacheOrigin));

    const page: FeedPage = {
      items: result.items,
      next_cursor: await signCursor(c.env.SIGNING_SECRET, { userId, pageId: result.pageId }),
      fallback: result.fallback,
    };
    metrics.count("feed.pages");
    if (result.fallback) metrics.count("feed.fallback");
    metrics.observeFeedLatency(performance.now() - started);
    c.header("cache-control", "private, no-store");
    return c.json(page);
  },
);

type Page = Extract<PageResult, { kind: "page" }>;

/**
 * Asks the user's object for the page; completes it from the fallback when the object asks for
 * one. If the object itself cannot be reached (overloaded, restarting) the region's fallback is
 * served unfiltered under a fresh page id: its cursor still works, since the object treats a
 * page it never handed out as the start of a new one.
 */
async function nextPage(
  env: Env,
  request: PageRequest,
  cacheOrigin: string,
  defer: (work: Promise<unknown>) => void,
): Promise<Page> {
  const feed = env.USER_FEED.get(env.USER_FEED.idFromName(request.userId));
  try {
    const result = await feed.page(request);
    if (result.kind === "page") return result;
    const fallback = await loadFallback(env, request.region, cacheOrigin, defer);
    const completed = await feed.page({
      ...request,
      fallback: { items: fallback.items, cause: result.cause },
    });
    if (completed.kind === "page") return completed;
  } catch (error) {
    console.warn("feed: user feed unavailable", error instanceof Error ? error.message : error);
  }
  const fallback = await loadFallback(env, request.region, cacheOrigin, defer);
  return {
    kind: "page",
    pageId: crypto.randomUUID(),
    items: fallback.items.slice(0, request.limit),
    fallback: "user_feed_unavailable",
    refresh: null,
  };
}
