import { Hono } from "hono";
import type { OriginMetrics } from "./origin-metrics";

/** `GET /metrics`: the Prometheus text format, for any standard scraper. */
export function metricsRoute(metrics: OriginMetrics): Hono {
  return new Hono().get("/metrics", async (c) => {
    const body = await metrics.scrape();
    return c.body(body, 200, { "content-type": metrics.registry.contentType });
  });
}
