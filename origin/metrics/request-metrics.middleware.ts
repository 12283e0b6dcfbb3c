import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { Histogram } from "prom-client";

/**
 * Times every request into `histogram`, labelled by the route *pattern* (`/media/*`), never the
 * raw path, so a scan of random URLs cannot blow up the series count.
 */
export function requestMetrics(histogram: Histogram<"method" | "route" | "status">) {
  return createMiddleware(async function requestMetricsHandler(c, next) {
    const end = histogram.startTimer();
    await next();
    // After next() the route index points at the handler that answered; "*" means none did.
    const matched = routePath(c);
    const route = matched === "*" || matched === "/*" ? "unmatched" : matched;
    end({ method: c.req.method, route, status: String(c.res.status) });
  });
}
