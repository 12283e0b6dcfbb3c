import { createMiddleware } from "hono/factory";
import { metrics as isolateMetrics, type MetricsBuffer } from "../../worker-lib/metrics";
import { redisFromEnv } from "../../worker-lib/redis.client";

/**
 * After each request, starts a background flush of the metrics buffer when one is due. The flush
 * runs in waitUntil, so a slow or down Redis never delays a response.
 */
export function flushMetrics(buffer: MetricsBuffer = isolateMetrics) {
  return createMiddleware<{ Bindings: Env }>(async function flushMetricsHandler(c, next) {
    await next();
    if (!buffer.flushDue()) return;
    let defer: (work: Promise<unknown>) => void;
    try {
      const ctx = c.executionCtx;
      defer = (work) => ctx.waitUntil(work);
    } catch {
      // `app.request()` in a test has no execution context; the next real request flushes.
      return;
    }
    defer(
      buffer.flush(redisFromEnv(c.env)).catch((error: unknown) => {
        console.warn("metrics: flush failed", error instanceof Error ? error.message : error);
      }),
    );
  });
}
