import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { MetricsBuffer } from "../../worker-lib/metrics";
import { countEventOutcomes } from "./events-metrics.middleware";

class RecordingBuffer extends MetricsBuffer {
  readonly counts = new Map<string, number>();
  override count(field: string, by = 1): void {
    this.counts.set(field, (this.counts.get(field) ?? 0) + by);
  }
}

describe("countEventOutcomes", () => {
  it("counts accepted, rejected, duplicate and sampled-out events and refused batches", async () => {
    const buffer = new RecordingBuffer();
    let reply: Response = new Response();
    const app = new Hono().use(countEventOutcomes(buffer)).post("/v1/events", () => reply);
    reply = Response.json(
      {
        accepted: 5,
        duplicates: 1,
        sampled_out: 2,
        rejected: [{ index: 3, field: "type", reason: "bad" }],
      },
      { status: 202 },
    );
    const response = await app.request("/v1/events", { method: "POST" });
    expect(await response.json()).toMatchObject({ accepted: 5 });
    reply = Response.json({ error: { code: "EVENTS.RATE_LIMITED", message: "" } }, { status: 429 });
    await app.request("/v1/events", { method: "POST" });
    expect(Object.fromEntries(buffer.counts)).toEqual({
      "events.accepted": 5,
      "events.rejected": 1,
      "events.duplicates": 1,
      "events.sampled_out": 2,
      "events.refused_batches": 1,
    });
  });
});
