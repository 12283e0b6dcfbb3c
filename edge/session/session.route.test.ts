import { env } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { SessionResponse } from "../../contracts/session.schema";
import { account, anonymous, EDGE, post } from "../../testing/edge/sessions.testing";
import { createApp } from "../app";
import { requireSession, type SessionVariables } from "./require-session";
import { issueSessionToken } from "./session-token";

const whoami = new Hono<{ Bindings: Env; Variables: SessionVariables }>()
  .use(requireSession())
  .get("/whoami", (c) => c.json(c.var.session));

const refresh = (token: string) => post("/v1/sessions/refresh", { refresh_token: token });
const errorOf = async (response: Response) =>
  ((await response.json()) as { error: { code: string; message: string } }).error;

describe("POST /v1/sessions", () => {
  it("mints a user id no client chose, and refuses a body that names one", async () => {
    const session = await anonymous();
    expect(session.user_id).toMatch(/^u-[A-Za-z0-9_-]{16}$/);
    expect(session).toMatchObject({ region: "eu", account: false });
    expect(Date.parse(session.expires_at) - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    expect((await anonymous()).user_id).not.toBe(session.user_id);
    const me = await whoami.request(
      "/whoami",
      { headers: { authorization: `Bearer ${session.token}` } },
      env,
    );
    expect(await me.json()).toMatchObject({ userId: session.user_id, region: "eu" });
    // Was: 201 and a token for B, with no credential at all.
    const chosen = await post("/v1/sessions", { user_id: "B", region: "eu" });
    expect(chosen.status).toBe(400);
    expect(await errorOf(chosen)).toEqual({
      code: "REQUEST.INVALID_FIELD",
      message: "user_id: not a field of this request: the server chooses the user id",
    });
  });

  it("names the wrong field, rejects malformed JSON with 400 and an oversize body with 413", async () => {
    const noRegion = await post("/v1/sessions", {});
    expect(noRegion.status).toBe(400);
    expect((await errorOf(noRegion)).message).toMatch(/^region/);
    const malformed = await rawPost("/v1/sessions", "{");
    expect(malformed.status).toBe(400);
    expect((await errorOf(malformed)).code).toBe("REQUEST.MALFORMED_JSON");
    const huge = await post("/v1/sessions", { region: "eu", padding: "x".repeat(4096) });
    expect(huge.status).toBe(413);
  });

  it("limits new sessions per client address, with Retry-After", async () => {
    // Was: 50 tokens minted in 289 ms from one address.
    const app = createApp();
    const tight = { ...env, SESSIONS_RATE_LIMIT: "3" };
    const from = (address: string) =>
      app.request(
        "/v1/sessions",
        {
          method: "POST",
          headers: { "content-type": "application/json", "cf-connecting-ip": address },
          body: JSON.stringify({ region: "eu" }),
        },
        tight,
      );
    const address = `198.51.100.${Math.floor(Math.random() * 250)}-${crypto.randomUUID()}`;
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await from(address)).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
    const limited = await from(address);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await errorOf(limited)).code).toBe("AUTH.RATE_LIMITED");
    expect((await from(`${address}-other`)).status).toBe(201);
  });
});

describe("POST /v1/sessions/refresh", () => {
  it("rotates the refresh token; a reused one revokes the sign-in on every device", async () => {
    const first = await anonymous();
    const rotated = await refresh(first.refresh_token);
    expect(rotated.status).toBe(200);
    const second = (await rotated.json()) as SessionResponse;
    expect(second).toMatchObject({ user_id: first.user_id, session_id: first.session_id });
    expect(second.refresh_token).not.toBe(first.refresh_token);
    // The first token again: someone holds a copy. Both copies stop working.
    const reused = await refresh(first.refresh_token);
    expect(reused.status).toBe(401);
    expect(await errorOf(reused)).toEqual({
      code: "AUTH.REFRESH_INVALID",
      message: "refresh_token: already used; this sign-in is revoked on every device",
    });
    expect((await refresh(second.refresh_token)).status).toBe(401);
  });

  it("names a malformed refresh token", async () => {
    const response = await refresh("not-a-token");
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toMatch(/^refresh_token: /);
  });
});

describe("POST /v1/sessions/sign-out", () => {
  it("revokes the sign-in: its refresh token and uploads are refused afterwards", async () => {
    const { session } = await account();
    const upload = () =>
      rawPost("/v1/uploads", null, {
        authorization: `Bearer ${session.token}`,
        "tus-resumable": "1.0.0",
        "upload-length": "10",
      });
    expect((await upload()).status).toBe(201);
    expect((await post("/v1/sessions/sign-out", {}, session.token)).status).toBe(204);
    const refused = await upload();
    expect(refused.status).toBe(401);
    expect((await errorOf(refused)).message).toBe("authorization: signed out");
    expect((await refresh(session.refresh_token)).status).toBe(401);
  });
});

describe("requireSession", () => {
  const call = (token?: string) =>
    whoami.request("/whoami", token ? { headers: { authorization: `Bearer ${token}` } } : {}, env);

  it("refuses a missing, forged, altered or expired token with 401", async () => {
    expect((await call()).status).toBe(401);
    const { token } = await issueSessionToken(env.SIGNING_SECRET, { userId: "bob", region: "us" });
    const [header, payload, signature] = token.split(".");
    const claims = JSON.parse(atob(payload!.replace(/-/g, "+").replace(/_/g, "/")));
    const swapped = btoa(JSON.stringify({ ...claims, sub: "alice" }))
      .replace(/=+$/, "")
      .replace(/\+/g, "-")
      .replace(/\//g, "_");
    expect((await call(`${header}.${swapped}.${signature}`)).status).toBe(401);
    const forged = await issueSessionToken("not-the-secret", { userId: "alice", region: "eu" });
    expect((await call(forged.token)).status).toBe(401);
    const expired = await issueSessionToken(
      env.SIGNING_SECRET,
      { userId: "bob", region: "us" },
      Math.floor(Date.now() / 1000) - 16 * 60,
    );
    const response = await call(expired.token);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: {
        code: "AUTH.UNAUTHORIZED",
        message: "authorization: invalid or expired session token",
      },
    });
  });
});

function rawPost(path: string, body: string | null, headers: Record<string, string> = {}) {
  return createApp().request(`${EDGE}${path}`, { method: "POST", headers, body }, env);
}
