import { Hono } from "hono";
import { ErrorCode, errorBody } from "../../contracts/error.schema";
import { bearerToken, sameSecret } from "../../contracts/internal-auth";
import type { OriginMetrics } from "./origin-metrics";

/** Names the process that assembled a scrape: in the api cluster, the worker that received it. */
export const WORKER_HEADER = "x-origin-worker";

/**
 * `GET /metrics`: the Prometheus text format, for any standard scraper that sends
 * `Authorization: Bearer {METRICS_TOKEN}`. Without a token configured the route is off: request
 * rates, queue depths and process details are for operators, not for anyone who can reach the port.
 */
export function metricsRoute(metrics: OriginMetrics, token: string | undefined): Hono {
  return new Hono().get("/metrics", async (c) => {
    const bearer = bearerToken(c.req.header("authorization"));
    if (!token || bearer === undefined || !sameSecret(bearer, token)) {
      const message = token ? "authorization: metrics token required" : "METRICS_TOKEN: not set";
      return c.json(errorBody(ErrorCode.Unauthorized, message), 401);
    }
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
