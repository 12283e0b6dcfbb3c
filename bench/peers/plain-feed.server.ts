// The floor bench/feed-serve.bench.ts compares edgefeed's serve path against: the seeds' "API
// reads precomputed candidates from Redis" as a plain Node service (Hono on @hono/node-server,
// ioredis), with no Durable Object, seen filter or pre-warm. It still does what such a service
// cannot skip: it verifies the bearer session and the cursor with the edge's own functions, reads
// the user's ranked candidates, hydrates them in one pipeline, falls back to regional trending and
// signs the next cursor.
//
// Run in its own process (bench/feed-serve.peer.ts starts it) so its CPU is its own: it prints
// `READY {url}` on stdout, answers every IPC message with its process.cpuUsage() in
// milliseconds, and exits when its stdin closes.

import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { Redis } from "ioredis";
import * as v from "valibot";
import { describeIssue, ErrorCode } from "../../contracts/error.schema";
import {
  type FallbackCause,
  FEED_PAGE_DEFAULT,
  type FeedPage,
  FeedQuerySchema,
  parseForYouMember,
} from "../../contracts/feed.schema";
import { bearerToken } from "../../contracts/internal-auth";
import { CatalogKeys } from "../../contracts/keyspace";
import { signCursor, verifyCursor } from "../../edge/feed/feed-cursor";
import { jsonError } from "../../edge/http/errors";
import { verifySessionToken } from "../../edge/session/session-token";
import { type Candidate, cardFromHash } from "../../worker-lib/video-card";

/**
 * Where the next page starts: an offset into `fyp:{user}` or, once that ran out, into
 * `trending:{region}`. Carried in the signed cursor as its page id (`f:16`, `t:8`), so the
 * service keeps no state per user.
 */
interface Position {
  list: "f" | "t";
  offset: number;
}

function parsePosition(pageId: string): Position | null {
  const match = /^([ft]):(\d{1,9})$/.exec(pageId);
  return match ? { list: match[1] === "f" ? "f" : "t", offset: Number(match[2]) } : null;
}

/** `ZREVRANGE key offset offset+count-1`: the slice of a rank-ordered set at an offset. */
function slice(redis: Redis, key: string, offset: number, count: number): Promise<string[]> {
  return redis.zrevrange(key, offset, offset + count - 1);
}

/**
 * The page's candidates and where the next one starts. The service reads `fyp:{user}` by offset
 * (ZREVRANGE) rather than popping it (ZPOPMAX, as the edge's UserFeed object does): a popped
 * candidate is gone, and only a per-user store like that object's buffer can keep the rest of a
 * batch, replay a retried page or serve two concurrent pages without losing candidates. A
 * stateless API over precomputed candidates pages through them, and the ranker's next write of
 * the set starts the list over. When the list runs out the page is completed from trending, and
 * trending repeats from the top rather than ever answering blank.
 */
async function candidates(
  redis: Redis,
  user: string,
  region: string,
  at: Position,
  limit: number,
): Promise<{ candidates: Candidate[]; next: Position; fallback: FallbackCause | null }> {
  const ranked: Candidate[] = [];
  if (at.list === "f") {
    for (const member of await slice(redis, CatalogKeys.forYou(user), at.offset, limit)) {
      const parsed = parseForYouMember(member);
      if (parsed) ranked.push({ id: parsed.id, reason: parsed.reason });
    }
    if (ranked.length === limit) {
      return { candidates: ranked, next: { list: "f", offset: at.offset + limit }, fallback: null };
    }
  }
  const wanted = limit - ranked.length;
  let start = at.list === "t" ? at.offset : 0;
  let trending = await slice(redis, CatalogKeys.trending(region), start, wanted);
  if (trending.length === 0 && start > 0) {
    start = 0;
    trending = await slice(redis, CatalogKeys.trending(region), start, wanted);
  }
  return {
    candidates: [...ranked, ...trending.map((id): Candidate => ({ id, reason: "fallback" }))],
    next: { list: "t", offset: start + trending.length },
    fallback: "fyp_empty",
  };
}

/** The catalog hashes of the candidates in one pipelined round trip; the live ones, in order. */
async function hydrate(redis: Redis, list: readonly Candidate[]) {
  const pipeline = redis.pipeline();
  for (const candidate of list) pipeline.hgetall(CatalogKeys.video(candidate.id));
  const replies = (await pipeline.exec()) ?? [];
  return list.flatMap((candidate, i) => {
    const [error, hash] = replies[i] ?? [null, null];
    // ioredis types pipeline replies as unknown; HGETALL's is a string map ({} for no key).
    return cardFromHash(candidate, error ? null : (hash as Record<string, string>)) ?? [];
  });
}

function plainFeedApp(redis: Redis, signingSecret: string): Hono {
  return new Hono().get("/v1/feed", async (c) => {
    const token = bearerToken(c.req.header("authorization"));
    const session = token ? await verifySessionToken(signingSecret, token) : null;
    if (!session) {
      return jsonError(c, 401, ErrorCode.Unauthorized, "authorization: invalid session token");
    }
    const query = v.safeParse(FeedQuerySchema, c.req.query());
    if (!query.success) {
      return jsonError(c, 400, ErrorCode.InvalidField, describeIssue(query.issues));
    }
    let at: Position = { list: "f", offset: 0 };
    if (query.output.cursor !== undefined) {
      const claims = await verifyCursor(signingSecret, query.output.cursor);
      const position = claims && parsePosition(claims.pageId);
      if (!claims || !position) {
        return jsonError(c, 401, ErrorCode.FeedCursorInvalid, "cursor: invalid signature");
      }
      if (claims.userId !== session.userId) {
        return jsonError(c, 403, ErrorCode.FeedCursorForbidden, "cursor: issued to another user");
      }
      at = position;
    }
    const limit = query.output.limit ?? FEED_PAGE_DEFAULT;
    const read = await candidates(redis, session.userId, session.region, at, limit);
    const items = await hydrate(redis, read.candidates);
    if (items.length === 0) {
      return jsonError(c, 503, ErrorCode.FeedUnavailable, "feed: no videos available");
    }
    const pageId = `${read.next.list}:${read.next.offset}`;
    const page: FeedPage = {
      items,
      next_cursor: await signCursor(signingSecret, { userId: session.userId, pageId }),
      fallback: read.fallback,
    };
    c.header("cache-control", "private, no-store");
    return c.json(page);
  });
}

async function main(): Promise<void> {
  const redisUrl = process.env.PEER_REDIS_URL;
  const signingSecret = process.env.PEER_SIGNING_SECRET;
  if (!redisUrl || !signingSecret) throw new Error("PEER_REDIS_URL and PEER_SIGNING_SECRET");
  const redis = new Redis(redisUrl);
  const app = plainFeedApp(redis, signingSecret);
  const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => {
    console.log(`READY ${JSON.stringify({ url: `http://127.0.0.1:${info.port}` })}`);
  });
  process.on("message", () => {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuMs: (user + system) / 1000 });
  });
  process.stdin.resume();
  process.stdin.once("end", () => {
    server.close();
    redis.disconnect();
    process.exit(0);
  });
}

await main();
