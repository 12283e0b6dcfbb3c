import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { GaugeFields } from "../../contracts/gauges";
import { AuthKeys, EdgeKeys } from "../../contracts/keyspace";
import { redisFromEnv } from "../../worker-lib/redis.client";
import { sha256Hex } from "../../worker-lib/secret-token";
import worker from "../index";
import { ADMIN_COOKIE, ADMIN_SESSION_SECONDS } from "./admin-auth";
import type { DashboardData } from "./dashboard.types";

const TOKEN = "admin-test-token-1234";

async function call(path: string, init: RequestInit = {}, token: string | undefined = TOKEN) {
  const ctx = createExecutionContext();
  const bindings = token === undefined ? env : { ...env, ADMIN_TOKEN: token };
  const response = await worker.fetch(new Request(`http://edge.test${path}`, init), bindings, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

describe("/admin", () => {
  it("refuses every admin path without the token", async () => {
    for (const path of ["/admin", "/admin/api/metrics", "/admin/admin.js"]) {
      const response = await call(path);
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        "AUTH.UNAUTHORIZED",
      );
    }
    const wrong = await call("/admin/api/metrics", { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    const browser = await call("/admin", { headers: { accept: "text/html" } });
    expect(browser.status).toBe(401);
    expect(await browser.text()).toContain('name="token"');
  });

  it("stays closed when no ADMIN_TOKEN is configured", async () => {
    const response = await call(
      "/admin/api/metrics",
      { headers: { authorization: "Bearer undefined" } },
      undefined,
    );
    expect(response.status).toBe(401);
  });

  it("answers a missing dashboard file with a 404 in the error shape", async () => {
    // Was (fuzz counterexample {path: "/admin/0"}): the asset server's 404 with an empty body.
    const response = await call("/admin/0", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: "ROUTE.NOT_FOUND", message: "path: no dashboard file /admin/0" },
    });
  });

  it("signs in by POST into a server-side session that sign-out ends; a token in the address is refused", async () => {
    const inAddress = await call(`/admin?token=${TOKEN}`);
    expect(inAddress.status).toBe(400);
    expect(((await inAddress.json()) as { error: { message: string } }).error.message).toMatch(
      /^token: /,
    );
    const form = (token: string, ip = "192.0.2.10") =>
      call("/admin/sign-in", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": ip },
        body: new URLSearchParams({ token }).toString(),
      });
    expect((await form("wrong")).status).toBe(401);
    const signIn = await form(TOKEN);
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get("location")).toBe("/admin");
    const setCookie = signIn.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(";")[0] ?? "";
    expect(cookie.startsWith(`${ADMIN_COOKIE}=`)).toBe(true);
    // Each sign-in is its own session, not a fixed function of the token.
    const again = (await form(TOKEN)).headers.get("set-cookie")?.split(";")[0];
    expect(again).not.toBe(cookie);

    const session = cookie.slice(ADMIN_COOKIE.length + 1);
    const key = AuthKeys.adminSession(await sha256Hex(session));
    const ttl = await redisFromEnv(env).ttl(key);
    expect(ttl).toBeGreaterThan(ADMIN_SESSION_SECONDS - 60);
    expect(ttl).toBeLessThanOrEqual(ADMIN_SESSION_SECONDS);

    const page = await call("/admin", { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("admin.js");
    expect((await call("/admin/api/metrics", { headers: { cookie } })).status).toBe(200);

    const signOut = await call("/admin/sign-out", { method: "POST", headers: { cookie } });
    expect(signOut.status).toBe(303);
    expect((await call("/admin/api/metrics", { headers: { cookie } })).status).toBe(401);
    expect((await call("/admin/api/metrics", { headers: { cookie: again ?? "" } })).status).toBe(
      200,
    );
  });

  it("limits sign-in attempts per address and refuses an oversized sign-in body", async () => {
    const ip = `198.51.100.${Math.floor(Math.random() * 250)}`;
    const attempt = () =>
      call("/admin/sign-in", {
        method: "POST",
        headers: { "content-type": "application/json", "cf-connecting-ip": ip },
        body: JSON.stringify({ token: "guess" }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await attempt()).status);
    expect(statuses.slice(0, 10).every((status) => status === 401)).toBe(true);
    expect(statuses[10]).toBe(429);

    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 64; i++) controller.enqueue(new Uint8Array(1024).fill(97));
        controller.close();
      },
    });
    const large = await call("/admin/sign-in", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "cf-connecting-ip": `203.0.113.${Math.floor(Math.random() * 250)}`,
      },
      body: chunked,
      duplex: "half",
    } as RequestInit);
    expect(large.status).toBe(413);
  });

  it("serves chart-ready series for the window asked, an hour by default", async () => {
    const bearer = { headers: { authorization: `Bearer ${TOKEN}` } };
    const response = await call("/admin/api/metrics", bearer);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const data = (await response.json()) as DashboardData;
    expect(data.window).toBe("1h");
    expect(data.step_seconds).toBe(60);
    expect(data.times).toHaveLength(60);
    expect(data.charts.map((c) => c.id)).toEqual([
      "cache-playlist",
      "cache-segment",
      "feed-latency",
      "fallback-rate",
      "edge-rank",
      "events",
      "stream-lag",
      "feature-staleness",
      "transcode",
    ]);
    for (const chart of data.charts) {
      for (const series of chart.series) expect(series.values).toHaveLength(60);
    }
    const lag = data.charts.find((c) => c.id === "stream-lag");
    expect(lag?.series).toHaveLength(Number(env.EVENT_PARTITIONS));
    const zoomed = await call("/admin/api/metrics?window=15m", bearer);
    expect(((await zoomed.json()) as DashboardData).times).toHaveLength(15);
    const day = (await (
      await call("/admin/api/metrics?window=24h", bearer)
    ).json()) as DashboardData;
    expect(day.window).toBe("24h");
    expect(day.step_seconds).toBe(600);
    expect(day.times).toHaveLength(144);
    expect(day.times.every((t) => t % 600 === 0)).toBe(true);
  });

  it("draws the gauges recorded hours ago, and writes none itself", async () => {
    const bearer = { headers: { authorization: `Bearer ${TOKEN}` } };
    const tenMinutes = 600_000;
    // Two readings in one ten-minute point three hours ago: the day's chart shows the worse.
    const point = Date.now() - (Date.now() % tenMinutes) - 18 * tenMinutes;
    const redis = redisFromEnv(env);
    await redis.hset(EdgeKeys.metricsMinute(point), { [GaugeFields.lag(0)]: 42 });
    await redis.hset(EdgeKeys.metricsMinute(point + 60_000), { [GaugeFields.lag(0)]: 41 });
    const day = (await (
      await call("/admin/api/metrics?window=24h", bearer)
    ).json()) as DashboardData;
    const at = day.times.indexOf(point / 1000);
    expect(at).toBeGreaterThan(0);
    const lag = day.charts.find((c) => c.id === "stream-lag")?.series[0]?.values;
    expect(lag?.[at]).toBe(42);
    // The last hour does not reach back that far.
    const hour = (await (await call("/admin/api/metrics", bearer)).json()) as DashboardData;
    expect(hour.times[0]).toBeGreaterThan(point / 1000);
    // Gauges are the sampler role's to record; no sampler runs beside these tests.
    const current = EdgeKeys.metricsMinute(hour.times.at(-1)! * 1000);
    expect(await redis.hget(current, GaugeFields.transcodeQueue)).toBeNull();
  });

  it("refuses a window it does not offer, naming the field", async () => {
    for (const window of ["2h", "", "1440", "24H", "1h,24h"]) {
      const response = await call(`/admin/api/metrics?window=${encodeURIComponent(window)}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(response.status, window).toBe(400);
      expect(await response.json()).toEqual({
        error: {
          code: "REQUEST.INVALID_FIELD",
          message: "window: must be one of 15m, 1h, 24h",
        },
      });
    }
  });
});
