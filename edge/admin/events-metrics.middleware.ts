import { createMiddleware } from "hono/factory";
import * as v from "valibot";
import { EventBatchResponseSchema } from "../../contracts/event.schema";
import { metrics as isolateMetrics, type MetricsBuffer } from "../../worker-lib/metrics";

/**
 * Counts what `POST /v1/events` did with each batch, from its own response, into the per-minute
 * operator counters: `events.accepted`, `events.rejected` (invalid events in accepted batches),
 * `events.duplicates`, `events.sampled_out`, and `events.refused_batches` (4xx: malformed, too
 * large, rate-limited, unauthenticated).
 */
export function countEventOutcomes(buffer: MetricsBuffer = isolateMetrics) {
  return createMiddleware(async function countEventOutcomesHandler(c, next) {
    await next();
    if (c.req.method !== "POST") return;
    if (c.res.status >= 400 && c.res.status < 500) {
      buffer.count("events.refused_batches");
      return;
    }
    if (c.res.status !== 202) return;
    // Counting must never turn an accepted batch into an error response.
    const json: unknown = await c.res
      .clone()
      .json()
      .catch(() => null);
    const body = v.safeParse(EventBatchResponseSchema, json);
    if (!body.success) return;
    buffer.count("events.accepted", body.output.accepted);
    buffer.count("events.rejected", body.output.rejected.length);
    buffer.count("events.duplicates", body.output.duplicates);
    buffer.count("events.sampled_out", body.output.sampled_out);
  });
}
