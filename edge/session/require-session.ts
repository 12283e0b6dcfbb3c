import { createMiddleware } from "hono/factory";
import { ErrorCode } from "../../contracts/error.schema";
import { bearerToken } from "../../contracts/internal-auth";
import { redisFromEnv } from "../../worker-lib/redis.client";
import { jsonError } from "../http/errors";
import { type Session, verifySessionToken } from "./session-token";
import { SignIns } from "./sign-ins";

export type SessionVariables = { session: Session };

export interface SessionRequirements {
  /** Only a user signed in with a passkey: 403 `AUTH.ACCOUNT_REQUIRED` for an anonymous viewer. */
  account?: boolean;
  /**
   * The sign-in must not have ended: one Redis read, so only routes that change what others see
   * (uploads) pay it; elsewhere a signed-out token lives out its few minutes.
   */
  live?: boolean;
}

/**
 * Rejects a request without a valid session token (`Authorization: Bearer <token>`) with 401;
 * otherwise puts the verified session on `c.var.session`. Handlers take the user from there,
 * never from the URL or body, so one user's token cannot reach another user's feed.
 */
export function requireSession(requirements: SessionRequirements = {}) {
  return createMiddleware<{ Bindings: Env; Variables: SessionVariables }>(
    async function requireSessionHandler(c, next) {
      const token = bearerToken(c.req.header("authorization"));
      if (!token) {
        return jsonError(
          c,
          401,
          ErrorCode.Unauthorized,
          "authorization: missing bearer session token",
        );
      }
      const session = await verifySessionToken(c.env.SIGNING_SECRET, token);
      if (!session) {
        return jsonError(
          c,
          401,
          ErrorCode.Unauthorized,
          "authorization: invalid or expired session token",
        );
      }
      if (requirements.account && !session.account) {
        return jsonError(
          c,
          403,
          ErrorCode.AccountRequired,
          "authorization: sign in with a passkey first; anonymous viewers cannot do this",
        );
      }
      if (
        requirements.live &&
        !(await new SignIns(redisFromEnv(c.env)).isLive(session.sessionId))
      ) {
        return jsonError(c, 401, ErrorCode.Unauthorized, "authorization: signed out");
      }
      c.set("session", session);
      await next();
    },
  );
}
