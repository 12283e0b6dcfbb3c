import { env, SELF } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { requireSession, type SessionVariables } from "./require-session";
import { issueSessionToken } from "./session-token";

const whoami = new Hono<{ Bindings: Env; Variables: SessionVariables }>()
  .use(requireSession())
  .get("/whoami", (c) => c.json(c.var.session));

async function login(body: unknown): Promise<Response> {
  return SELF.fetch("http://edge.test/v1/sessions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("POST /v1/sessions", () => {
  it("issues a token that authenticates the user it was issued for", async () => {
    const response = await login({ user_id: "alice", region: "eu" });
    expect(response.status).toBe(201);
    const session = (await response.json()) as {
      token: string;
      user_id: string;
      expires_at: string;
    };
    expect(session.user_id).toBe("alice");
    expect(Date.parse(session.expires_at)).toBeGreaterThan(Date.now());
    const me = await whoami.request(
      "/whoami",
      { headers: { authorization: `Bearer ${session.token}` } },
      env,
    );
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ userId: "alice", region: "eu" });
  });

  it("names the wrong field", async () => {
    const response = await login({ user_id: "alice" });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("REQUEST.INVALID_FIELD");
    expect(body.error.message).toMatch(/^region/);
    const badId = await login({ user_id: "a/b", region: "eu" });
    expect(((await badId.json()) as { error: { message: string } }).error.message).toMatch(
      /^user_id/,
    );
  });

  it("rejects malformed JSON with 400 and an oversize body with 413", async () => {
    const malformed = await SELF.fetch("http://edge.test/v1/sessions", {
      method: "POST",
      body: "{",
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe(
      "REQUEST.MALFORMED_JSON",
    );
    const huge = await login({ user_id: "alice", region: "eu", padding: "x".repeat(4096) });
    expect(huge.status).toBe(413);
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
      Math.floor(Date.now() / 1000) - 30 * 24 * 3600,
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
