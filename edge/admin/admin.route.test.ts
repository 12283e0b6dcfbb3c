import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { redisFromEnv } from "../../worker-lib/redis.client";
import worker from "../index";
import { ADMIN_COOKIE } from "./admin-auth";
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

  it("swaps ?token= for an HttpOnly cookie that opens the dashboard", async () => {
    expect((await call("/admin?token=wrong")).status).toBe(401);
    const signIn = await call(`/admin?token=${TOKEN}`);
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get("location")).toBe("/admin");
    const setCookie = signIn.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(";")[0] ?? "";
    expect(cookie.startsWith(`${ADMIN_COOKIE}=`)).toBe(true);
    const page = await call("/admin", { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("admin.js");
    const api = await call("/admin/api/metrics", { headers: { cookie } });
    expect(api.status).toBe(200);
  });

  it("serves chart-ready series with a bearer token and records the gauges it reads", async () => {
    const response = await call("/admin/api/metrics", {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const data = (await response.json()) as DashboardData;
    expect(data.minutes).toHaveLength(60);
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
    const zoomed = await call("/admin/api/metrics?minutes=15", {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(((await zoomed.json()) as DashboardData).minutes).toHaveLength(15);
    const lag = data.charts.find((c) => c.id === "stream-lag");
    expect(lag?.series).toHaveLength(Number(env.EVENT_PARTITIONS));
    const current = data.charts.find((c) => c.id === "transcode")?.series[0]?.values.at(-1);
    expect(typeof current).toBe("number");
    const minute = new Date(data.minutes.at(-1)! * 1000).toISOString().slice(0, 16);
    const stored = await redisFromEnv(env).hget(`metrics:${minute}`, "gauge.transcode.queue");
    expect(stored).not.toBeNull();
  });
});
