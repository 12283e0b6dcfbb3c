import * as v from "valibot";

export const DependencyCheckSchema = v.object({
  status: v.picklist(["up", "down"]),
  latency_ms: v.pipe(v.number(), v.minValue(0)),
  error: v.optional(v.string()),
});

/** What `GET /healthz` returns on the edge and on the origin: 200 when every check is up, else 503. */
export const HealthReportSchema = v.object({
  service: v.string(),
  status: v.picklist(["ok", "degraded"]),
  checks: v.record(v.string(), DependencyCheckSchema),
});

export type DependencyCheck = v.InferOutput<typeof DependencyCheckSchema>;
export type HealthReport = v.InferOutput<typeof HealthReportSchema>;

/** Runs one dependency check with a deadline; a throw or a timeout reports the dependency down. */
export async function probe(
  check: () => Promise<unknown>,
  timeoutMs = 2_000,
): Promise<DependencyCheck> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), deadline]);
    return { status: "up", latency_ms: Math.round(performance.now() - started) };
  } catch (error) {
    return {
      status: "down",
      latency_ms: Math.round(performance.now() - started),
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

export function healthReport(
  service: string,
  checks: Record<string, DependencyCheck>,
): HealthReport {
  const allUp = Object.values(checks).every((check) => check.status === "up");
  return { service, status: allUp ? "ok" : "degraded", checks };
}
