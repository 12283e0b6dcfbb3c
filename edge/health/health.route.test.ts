import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { checkEdgeHealth } from "./health.route";

interface Report {
  service: string;
  status: string;
  checks: Record<string, { status: string; latency_ms: number; error?: string }>;
}

describe("GET /healthz", () => {
  it("reports Redis (through the bridge) and the origin up, with latencies", async () => {
    const response = await SELF.fetch("http://edge.test/healthz");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const report = (await response.json()) as Report;
    expect(report.service).toBe("edge");
    expect(report.status).toBe("ok");
    expect(report.checks.redis?.status).toBe("up");
    expect(report.checks.origin?.status).toBe("up");
    expect(report.checks.redis?.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it("reports each dependency down on its own when it cannot be reached", async () => {
    const checks = await checkEdgeHealth({
      UPSTASH_REDIS_REST_URL: env.UPSTASH_REDIS_REST_URL,
      UPSTASH_REDIS_REST_TOKEN: "wrong-token",
      ORIGIN_URL: "http://127.0.0.1:9",
    });
    expect(checks.redis?.status).toBe("down");
    expect(checks.redis?.error).toMatch(/Unauthorized/);
    expect(checks.origin?.status).toBe("down");
  });
});

describe("unknown routes", () => {
  it("answer 404 with a JSON error body", async () => {
    const response = await SELF.fetch("http://edge.test/nope");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: "ROUTE.NOT_FOUND", message: "no route for GET /nope" },
    });
  });
});
