import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { ErrorCode } from "../../contracts/error.schema";
import { sameSecret } from "../../contracts/internal-auth";
import { jsonError } from "../http/errors";

/** ADMIN_TOKEN is a secret (`wrangler secret put ADMIN_TOKEN`); unset means the dashboard is off. */
export type AdminEnv = Env & { ADMIN_TOKEN?: string };

export const ADMIN_COOKIE = "edgefeed_admin";

const encoder = new TextEncoder();

async function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
}

function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The cookie holds a digest of the token, never the token, so a leaked cookie jar leaks no secret. */
export async function adminCookieValue(token: string): Promise<string> {
  return hex(await sha256(`edgefeed-admin-cookie:${token}`));
}

/** True when the request carries the token as a Bearer header or the dashboard's cookie. */
async function authorized(c: Context<{ Bindings: AdminEnv }>): Promise<boolean> {
  const token = c.env.ADMIN_TOKEN;
  if (!token) return false;
  const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
  if (bearer !== undefined) return sameSecret(bearer, token);
  const cookie = getCookie(c, ADMIN_COOKIE);
  return cookie !== undefined && sameSecret(cookie, await adminCookieValue(token));
}

/**
 * Gates `/admin*` with 401. A browser signs in once with `/admin?token=…`: the token is swapped
 * for an HttpOnly cookie and the page redirects to `/admin`, so the token leaves the address bar
 * and history.
 */
export function requireAdmin() {
  return createMiddleware<{ Bindings: AdminEnv }>(async function requireAdminHandler(c, next) {
    const offered = c.req.query("token");
    const token = c.env.ADMIN_TOKEN;
    if (offered !== undefined && c.req.path === "/admin" && token) {
      if (!sameSecret(offered, token)) return refuse(c, "token: not the admin token");
      setCookie(c, ADMIN_COOKIE, await adminCookieValue(token), {
        path: "/admin",
        httpOnly: true,
        sameSite: "Strict",
        secure: new URL(c.req.url).protocol === "https:",
        maxAge: 12 * 3600,
      });
      return c.redirect("/admin", 303);
    }
    if (!(await authorized(c))) {
      return refuse(c, token ? "authorization: admin token required" : "admin: no ADMIN_TOKEN set");
    }
    await next();
  });
}

const SIGN_IN_PAGE = `<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>edgefeed admin</title><form method="get" action="/admin" style="font:16px system-ui;margin:20vh auto;width:18em">
<p>Admin token</p><input name="token" type="password" autofocus style="width:100%"><button>Sign in</button></form>`;

function refuse(c: Context<{ Bindings: AdminEnv }>, message: string): Response {
  // People get a sign-in form; programs get the usual JSON error.
  if (c.req.path === "/admin" && (c.req.header("accept") ?? "").includes("text/html")) {
    return c.html(SIGN_IN_PAGE, 401);
  }
  return jsonError(c, 401, ErrorCode.Unauthorized, message);
}
