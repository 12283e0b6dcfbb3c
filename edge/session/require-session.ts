import { createMiddleware } from "hono/factory";
import { ErrorCode } from "../../contracts/error.schema";
import { jsonError } from "../http/errors";
import { type Session, verifySessionToken } from "./session-token";

export type SessionVariables = { session: Session };

/**
 * Rejects a request without a valid session token (`Authorization: Bearer <token>`) with 401;
 * otherwise puts the verified session on `c.var.session`. Handlers take the user from there,
 * never from the URL or body, so one user's token cannot reach another user's feed.
 */
export function requireSession() {
  return createMiddleware<{ Bindings: Env; Variables: SessionVariables }>(
    async function requireSessionHandler(c, next) {
      const header = c.req.header("authorization") ?? "";
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match?.[1]) {
        return jsonError(
          c,
          401,
          ErrorCode.Unauthorized,
          "authorization: missing bearer session token",
        );
      }
      const session = await verifySessionToken(c.env.SIGNING_SECRET, match[1]);
      if (!session) {
        return jsonError(
          c,
          401,
          ErrorCode.Unauthorized,
          "authorization: invalid or expired session token",
        );
      }
      c.set("session", session);
      await next();
    },
  );
}
