import { Hono } from "hono";
import * as v from "valibot";
import {
  type DependencyCheck,
  HealthReportSchema,
  healthReport,
  probe,
} from "../../contracts/health.schema";
import { redisFromEnv } from "../../worker-lib/redis.client";

export type HealthEnv = Pick<
  Env,
  "UPSTASH_REDIS_REST_URL" | "UPSTASH_REDIS_REST_TOKEN" | "ORIGIN_URL"
>;

async function checkOrigin(originUrl: string): Promise<void> {
  const response = await fetch(new URL("/healthz", originUrl));
  // The origin answers 503 with a report when one of its own dependencies is down; it is
  // itself reachable, but the edge must not call it healthy.
  const report = v.parse(HealthReportSchema, await response.json());
  if (report.status !== "ok") {
    const down = Object.entries(report.checks)
      .filter(([, check]) => check.status === "down")
      .map(([name]) => name);
    throw new Error(`origin reports ${down.join(", ")} down`);
  }
}

/** Probes each dependency of the edge in parallel. */
export async function checkEdgeHealth(env: HealthEnv): Promise<Record<string, DependencyCheck>> {
  const [redis, origin] = await Promise.all([
    probe(() => redisFromEnv(env).ping()),
    probe(() => checkOrigin(env.ORIGIN_URL)),
  ]);
  return { redis, origin };
}

export const healthRoute = new Hono<{ Bindings: Env }>().get("/healthz", async (c) => {
  const report = healthReport("edge", await checkEdgeHealth(c.env));
  c.header("cache-control", "no-store");
  return c.json(report, report.status === "ok" ? 200 : 503);
});
