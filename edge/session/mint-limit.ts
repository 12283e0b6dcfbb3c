import { Ratelimit } from "@upstash/ratelimit";
import type { Context } from "hono";
import { ErrorCode } from "../../contracts/error.schema";
import { AuthKeys } from "../../contracts/keyspace";
import { redisFromEnv } from "../../worker-lib/redis.client";
import { jsonError } from "../http/errors";

/**
 * New sessions per client address per minute (`SESSIONS_RATE_LIMIT`): identities are free to
 * mint, so a farm of them is bounded where it comes from. Returns the 429 to send, or null.
 */
export async function refuseOverMintBudget<E extends { Bindings: Env }>(
  c: Context<E>,
): Promise<Response | null> {
  const limiter = new Ratelimit({
    redis: redisFromEnv(c.env),
    limiter: Ratelimit.slidingWindow(Number(c.env.SESSIONS_RATE_LIMIT), "60 s"),
    prefix: AuthKeys.mintRateLimitPrefix,
    ephemeralCache: false,
  });
  const address = c.req.header("cf-connecting-ip") ?? "unknown";
  const limit = await limiter.limit(address);
  if (limit.success) return null;
  c.header("Retry-After", String(Math.max(1, Math.ceil((limit.reset - Date.now()) / 1000))));
  return jsonError(
    c,
    429,
    ErrorCode.SessionsRateLimited,
    "too many new sessions from this address",
  );
}
