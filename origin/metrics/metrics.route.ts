import { Hono } from "hono";
import { ErrorCode, errorBody } from "../../contracts/error.schema";
import type { OriginMetrics } from "./origin-metrics";

/** Names the process that assembled a scrape: in the api cluster, the worker that received it. */
export const WORKER_HEADER = "x-origin-worker";

/** `GET /metrics`: the Prometheus text format, for any standard scraper. */
export function metricsRoute(metrics: OriginMetrics): Hono {
  return new Hono().get("/metrics", async (c) => {
    c.header(WORKER_HEADER, String(process.pid));
    let body: string;
    try {
      body = await metrics.scrape();
    } catch (error) {
      // A partial sum would look like counters going backwards; no answer is a plain gap.
      const reason = error instanceof Error ? error.message : String(error);
      return c.json(errorBody(ErrorCode.Unexpected, `metrics of the api workers: ${reason}`), 503);
    }
    return c.body(body, 200, { "content-type": metrics.registry.contentType });
  });
}
