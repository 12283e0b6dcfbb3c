import { Ratelimit } from "@upstash/ratelimit";
import type { Context } from "hono";
import { ErrorCode } from "../../contracts/error.schema";
import { AuthKeys } from "../../contracts/keyspace";
import { redisFromEnv } from "../../worker-lib/redis.client";
import { jsonError } from "../http/errors";

/** A budget of requests per client address per minute, counted under its own Redis prefix. */
export interface AddressBudget {
  perMinute: number;
  prefix: string;
  message: string;
}

/**
 * Spends one of the client address's budget; returns the 429 (with `Retry-After`) to send when
 * it is spent, or null. For what is free to try and must be bounded where it comes from.
 */
export async function refuseOverAddressBudget<E extends { Bindings: Env }>(
  c: Context<E>,
  budget: AddressBudget,
): Promise<Response | null> {
  const limiter = new Ratelimit({
    redis: redisFromEnv(c.env),
    limiter: Ratelimit.slidingWindow(budget.perMinute, "60 s"),
    prefix: budget.prefix,
    ephemeralCache: false,
  });
  const limit = await limiter.limit(c.req.header("cf-connecting-ip") ?? "unknown");
  if (limit.success) return null;
  c.header("Retry-After", String(Math.max(1, Math.ceil((limit.reset - Date.now()) / 1000))));
  return jsonError(c, 429, ErrorCode.SessionsRateLimited, budget.message);
}

/**
 * New sessions per client address per minute (`SESSIONS_RATE_LIMIT`): identities are free to
 * mint, so a farm of them is bounded where it comes from. Returns the 429 to send, or null.
 */
export function refuseOverMintBudget<E extends { Bindings: Env }>(
  c: Context<E>,
): Promise<Response | null> {
  return refuseOverAddressBudget(c, {
    perMinute: Number(c.env.SESSIONS_RATE_LIMIT),
    prefix: AuthKeys.mintRateLimitPrefix,
    message: "too many new sessions from this address",
  });
}
