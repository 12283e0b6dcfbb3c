import { Ratelimit } from "@upstash/ratelimit";
import { Hono } from "hono";
import { ErrorCode } from "../../contracts/error.schema";
import {
  type EventBatchResponse,
  EventBatchSchema,
  MAX_EVENTS_BODY_BYTES,
  MAX_EVENTS_PER_BATCH,
} from "../../contracts/event.schema";
import { EventKeys } from "../../contracts/keyspace";
import { redisFromEnv } from "../../worker-lib/redis.client";
import { jsonError } from "../http/errors";
import { readJsonBody } from "../http/json-body";
import { requireSession, type SessionVariables } from "../session/require-session";
import { eventsConfigFromEnv } from "./events.config";
import { ingestBatch } from "./ingest-batch";
import { suppressInFeed } from "./suppress";

const RATE_WINDOW = "10 s";

/** A user's batch budget is this many sessions' worth: a phone and a laptop at once, not a farm. */
export const USER_BUDGET_SESSIONS = 2;

/**
 * `POST /v1/events`: a batch of at most 100 events from one session. 202 with the rejected
 * indices; 413 over 64 KB or 100 events; 400 for malformed JSON; 429 + Retry-After when the
 * session, or the user over all their sessions, sends more batches than its budget.
 */
export const eventsRoute = new Hono<{ Bindings: Env; Variables: SessionVariables }>().post(
  "/v1/events",
  requireSession(),
  async (c) => {
    const config = eventsConfigFromEnv(c.env);
    const session = c.var.session;
    const redis = redisFromEnv(c.env);
    // Checked before the body is read: a flooding session costs two script calls, not a parse.
    // The user's budget spans their sessions, so minting sessions buys no extra events.
    const limiter = (prefix: string, batches: number) =>
      new Ratelimit({
        redis,
        limiter: Ratelimit.slidingWindow(batches, RATE_WINDOW),
        prefix,
        ephemeralCache: false,
      });
    const [perSession, perUser] = await Promise.all([
      limiter(EventKeys.rateLimitPrefix, config.rateLimit).limit(session.sessionId),
      limiter(EventKeys.userRateLimitPrefix, config.rateLimit * USER_BUDGET_SESSIONS).limit(
        session.userId,
      ),
    ]);
    for (const [limit, whose] of [
      [perSession, "session"],
      [perUser, "user"],
    ] as const) {
      if (limit.success) continue;
      c.header("Retry-After", String(Math.max(1, Math.ceil((limit.reset - Date.now()) / 1000))));
      return jsonError(c, 429, ErrorCode.RateLimited, `too many event batches for this ${whose}`);
    }
    const body = await readJsonBody(c, EventBatchSchema, MAX_EVENTS_BODY_BYTES);
    if (!body.ok) return body.response;
    if (body.value.events.length > MAX_EVENTS_PER_BATCH) {
      return jsonError(
        c,
        413,
        ErrorCode.EventsTooMany,
        `events: at most ${MAX_EVENTS_PER_BATCH} events per batch`,
      );
    }
    const result = await ingestBatch(redis, session, body.value.events, config);
    try {
      await suppressInFeed(c.env, redis, session.userId, result.suppressing);
    } catch (error) {
      // The events are already on the bus; the ranker still learns the negative signal.
      console.error("events: feed suppression failed", error);
    }
    const response: EventBatchResponse = {
      accepted: result.accepted.length,
      duplicates: result.duplicates,
      sampled_out: result.sampledOut,
      rejected: result.rejected,
    };
    return c.json(response, 202);
  },
);
