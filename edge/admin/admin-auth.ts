import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { readBodyUpTo } from "../../contracts/body-bytes";
import { ErrorCode } from "../../contracts/error.schema";
import { bearerToken, sameSecret } from "../../contracts/internal-auth";
import { AuthKeys } from "../../contracts/keyspace";
import { redisFromEnv } from "../../worker-lib/redis.client";
import { randomToken, sha256Hex } from "../../worker-lib/secret-token";
import { jsonError } from "../http/errors";
import { bodyRefused } from "../http/json-body";
import { refuseOverAddressBudget } from "../session/mint-limit";

/** ADMIN_TOKEN is a secret (`wrangler secret put ADMIN_TOKEN`); unset means the dashboard is off. */
export type AdminEnv = Env & { ADMIN_TOKEN?: string };
type AdminContext = Context<{ Bindings: AdminEnv }>;

export const ADMIN_COOKIE = "edgefeed_admin";
/** A dashboard sign-in lasts a working day; signing out ends it at once. */
export const ADMIN_SESSION_SECONDS = 12 * 3600;
/** Sign-in attempts per client address per minute: the token cannot be guessed at speed. */
const SIGN_IN_ATTEMPTS_PER_MINUTE = 10;
const MAX_SIGN_IN_BODY_BYTES = 4096;

/** True when the request carries the token as a Bearer header or a live dashboard cookie. */
async function authorized(c: AdminContext): Promise<boolean> {
  const token = c.env.ADMIN_TOKEN;
  if (!token) return false;
  const bearer = bearerToken(c.req.header("authorization"));
  if (bearer !== undefined) return sameSecret(bearer, token);
  const cookie = getCookie(c, ADMIN_COOKIE);
  if (!cookie) return false;
  const live = await redisFromEnv(c.env).exists(AuthKeys.adminSession(await sha256Hex(cookie)));
  return live === 1;
}

/**
 * Gates `/admin*` with 401. A token in the address is refused, since it would land in history and
 * logs: people sign in through the form, which POSTs to `/admin/sign-in`.
 */
export function requireAdmin() {
  return createMiddleware<{ Bindings: AdminEnv }>(async function requireAdminHandler(c, next) {
    if (c.req.query("token") !== undefined) {
      return refuse(c, 400, "token: not accepted in the address; POST it to /admin/sign-in");
    }
    if (!(await authorized(c))) {
      const message = c.env.ADMIN_TOKEN
        ? "authorization: admin token required"
        : "admin: no ADMIN_TOKEN set";
      return refuse(c, 401, message);
    }
    await next();
  });
}

/**
 * `POST /admin/sign-in` (form or JSON `token`): on the right token, a random session id goes into
 * an HttpOnly cookie and only its digest into Redis, with an expiry; `POST /admin/sign-out` deletes
 * it, so a copied cookie stops working when its owner signs out.
 */
export async function signIn(c: AdminContext): Promise<Response> {
  const token = c.env.ADMIN_TOKEN;
  if (!token) return refuse(c, 401, "admin: no ADMIN_TOKEN set");
  const refused = await refuseOverAddressBudget(c, {
    perMinute: SIGN_IN_ATTEMPTS_PER_MINUTE,
    prefix: AuthKeys.adminRateLimitPrefix,
    message: "too many admin sign-in attempts",
  });
  if (refused) return refused;
  const offered = await offeredToken(c);
  if (offered instanceof Response) return offered;
  if (offered === undefined) return refuse(c, 400, "token: required");
  if (!sameSecret(offered, token)) return refuse(c, 401, "token: not the admin token");
  const session = randomToken(32);
  await redisFromEnv(c.env).set(AuthKeys.adminSession(await sha256Hex(session)), "1", {
    ex: ADMIN_SESSION_SECONDS,
  });
  setCookie(c, ADMIN_COOKIE, session, {
    path: "/admin",
    httpOnly: true,
    sameSite: "Strict",
    secure: new URL(c.req.url).protocol === "https:",
    maxAge: ADMIN_SESSION_SECONDS,
  });
  return c.redirect("/admin", 303);
}

export async function signOut(c: AdminContext): Promise<Response> {
  const cookie = getCookie(c, ADMIN_COOKIE);
  if (cookie) await redisFromEnv(c.env).del(AuthKeys.adminSession(await sha256Hex(cookie)));
  deleteCookie(c, ADMIN_COOKIE, { path: "/admin" });
  return c.redirect("/admin", 303);
}

async function offeredToken(c: AdminContext): Promise<string | undefined | Response> {
  const body = await readBodyUpTo(c.req.raw, MAX_SIGN_IN_BODY_BYTES);
  if (!body.ok) return bodyRefused(c, body.reason, MAX_SIGN_IN_BODY_BYTES);
  const text = new TextDecoder().decode(body.bytes);
  if ((c.req.header("content-type") ?? "").includes("application/json")) {
    try {
      const parsed = JSON.parse(text) as { token?: unknown };
      return typeof parsed.token === "string" && parsed.token ? parsed.token : undefined;
    } catch {
      return undefined;
    }
  }
  return new URLSearchParams(text).get("token") || undefined;
}

const SIGN_IN_PAGE = `<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>edgefeed admin</title><form method="post" action="/admin/sign-in" style="font:16px system-ui;margin:20vh auto;width:18em">
<p>Admin token</p><input name="token" type="password" autofocus style="width:100%"><button>Sign in</button></form>`;

function refuse(c: AdminContext, status: 400 | 401, message: string): Response {
  // People get a sign-in form; programs get the usual JSON error.
  if ((c.req.header("accept") ?? "").includes("text/html")) return c.html(SIGN_IN_PAGE, status);
  return jsonError(
    c,
    status,
    status === 400 ? ErrorCode.InvalidField : ErrorCode.Unauthorized,
    message,
  );
}
