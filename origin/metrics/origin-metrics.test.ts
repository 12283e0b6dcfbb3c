import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import { Redis } from "ioredis";
import { AggregatorRegistry } from "prom-client";
import { afterAll, describe, expect, inject, it } from "vitest";
import { sample } from "../../testing/origin/metrics/metrics.testing";
import { createOriginMetrics, metricsRoute, WORKER_HEADER } from ".";

const redis = new Redis(inject("redisUrl"));
const SCRAPE_TOKEN = "scrape-token-123";
const scrape = { headers: { authorization: `Bearer ${SCRAPE_TOKEN}` } };
afterAll(() => redis.disconnect());

describe("GET /metrics on the origin", () => {
  it("times requests per route pattern and exposes Node process metrics", async () => {
    const metrics = createOriginMetrics({ redis, partitions: 1, keyPrefix: `mt-${randomUUID()}:` });
    const app = new Hono()
      .use(metrics.middleware)
      .get("/things/:id", (c) => c.text(c.req.param("id")))
      .route("/", metricsRoute(metrics, SCRAPE_TOKEN));
    for (const id of ["a", "b", "c"]) expect((await app.request(`/things/${id}`)).status).toBe(200);
    await app.request("/nowhere");
    expect((await app.request("/metrics")).status).toBe(401);
    const wrong = { headers: { authorization: "Bearer not-the-token" } };
    expect((await app.request("/metrics", wrong)).status).toBe(401);
    const response = await app.request("/metrics", scrape);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    // Outside the api cluster a scrape is this process's own registry.
    expect(response.headers.get(WORKER_HEADER)).toBe(String(process.pid));
    const text = await response.text();
    expect(sample(text, "edgefeed_origin_processes")).toBe(1);
    const series =
      'edgefeed_origin_http_request_duration_seconds_count{method="GET",route="/things/:id",status="200"}';
    expect(sample(text, series)).toBe(3);
    expect(text).toContain('route="unmatched",status="404"');
    expect(text).toMatch(/^edgefeed_origin_process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^edgefeed_origin_nodejs_eventloop_lag_seconds /m);
    expect(text).toContain("# TYPE edgefeed_ranker_latency_seconds histogram");
  });

  it("reads stream lag, staleness, throughput and the transcode queue from Redis", async () => {
    const prefix = `mt-${randomUUID()}:`;
    const now = Date.now();
    const stream = `${prefix}ev:0`;
    await redis.xgroup("CREATE", stream, "features", "0", "MKSTREAM");
    for (let i = 0; i < 4; i++) await redis.xadd(stream, `${now - 10_000 + i}-0`, "e", "{}");
    // Two delivered and committed (acked, position moved), one delivered but pending, one new.
    const read = (await redis.xreadgroup(
      "GROUP",
      "features",
      "c1",
      "COUNT",
      3,
      "STREAMS",
      stream,
      ">",
    )) as [string, [string, string[]][]][];
    const ids = read[0]![1].map(([id]) => id);
    await redis.xack(stream, "features", ids[0]!, ids[1]!);
    await redis.hset(`${prefix}features:positions`, "0", ids[1]!);

    await redis.xgroup("CREATE", `${prefix}uploads`, "transcoders", "0", "MKSTREAM");
    await redis.xadd(
      `${prefix}uploads`,
      `${now - 9_000}-0`,
      "video_id",
      "v1",
      "original_key",
      "k1",
    );
    await redis.xadd(
      `${prefix}uploads`,
      `${now - 8_000}-0`,
      "video_id",
      "v2",
      "original_key",
      "k2",
    );
    await redis.xadd(
      `${prefix}upload-events`,
      `${now - 5_000}-0`,
      "type",
      "upload",
      "video_id",
      "v1",
    );
    await redis.xadd(`${prefix}uploads:dead`, "*", "video_id", "v0", "error", "boom");

    const metrics = createOriginMetrics({ redis, partitions: 2, keyPrefix: prefix });
    const text = await metrics.scrape();
    expect(sample(text, 'edgefeed_stream_lag_entries{partition="0"}')).toBe(2);
    const stale = sample(text, 'edgefeed_feature_staleness_seconds{partition="0"}') ?? 0;
    expect(stale).toBeGreaterThanOrEqual(9.99);
    expect(stale).toBeLessThan(60);
    expect(sample(text, "edgefeed_features_events_processed_total")).toBe(2);
    expect(sample(text, "edgefeed_transcode_queue_depth")).toBe(2);
    expect(sample(text, "edgefeed_transcode_dead_lettered_jobs")).toBe(1);
    expect(sample(text, "edgefeed_transcode_duration_seconds_count")).toBe(1);
    expect(sample(text, "edgefeed_transcode_duration_seconds_sum")).toBe(4);

    // A second scrape counts only what happened in between.
    await redis.xack(stream, "features", ids[2]!);
    await redis.hset(`${prefix}features:positions`, "0", ids[2]!);
    const again = await metrics.scrape();
    expect(sample(again, "edgefeed_features_events_processed_total")).toBe(3);
    expect(sample(again, 'edgefeed_stream_lag_entries{partition="0"}')).toBe(1);
    expect(sample(again, "edgefeed_transcode_duration_seconds_count")).toBe(1);
  });
});

describe("one scrape of the api cluster", () => {
  /** Delivers and commits `count` more events of `stream` to the features group. */
  async function commit(stream: string, prefix: string, count: number): Promise<void> {
    const read = (await redis.xreadgroup(
      "GROUP",
      "features",
      "c1",
      "COUNT",
      count,
      "STREAMS",
      stream,
      ">",
    )) as [string, [string, string[]][]][];
    const ids = read[0]![1].map(([id]) => id);
    await redis.xack(stream, "features", ...ids);
    await redis.hset(`${prefix}features:positions`, "0", ids.at(-1)!);
  }

  it("sums what each worker served but takes Redis readings from the scraping worker", async () => {
    const prefix = `mt-${randomUUID()}:`;
    const stream = `${prefix}ev:0`;
    await redis.xgroup("CREATE", stream, "features", "0", "MKSTREAM");
    for (let i = 0; i < 4; i++) await redis.xadd(stream, "*", "e", "{}");
    const options = { redis, partitions: 1, keyPrefix: prefix };
    const [scraping, other] = [createOriginMetrics(options), createOriginMetrics(options)];
    const app = (metrics: typeof scraping) =>
      new Hono().use(metrics.middleware).get("/healthz", (c) => c.text("ok"));
    for (let i = 0; i < 2; i++) await app(scraping).request("/healthz");
    for (let i = 0; i < 3; i++) await app(other).request("/healthz");

    await commit(stream, prefix, 2);
    await other.scrape();
    await commit(stream, prefix, 1);
    await scraping.scrape();

    // What the primary answers: the scraping worker's registry first, then the others'.
    const group = await AggregatorRegistry.aggregate([
      await scraping.registry.getMetricsAsJSON(),
      await other.registry.getMetricsAsJSON(),
    ]).metrics();
    expect(sample(group, "edgefeed_origin_processes")).toBe(2);
    const served =
      'edgefeed_origin_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}';
    expect(sample(group, served)).toBe(5);
    // The scraping worker's fresh reading, not the other's older one nor their sum.
    expect(sample(group, 'edgefeed_stream_lag_entries{partition="0"}')).toBe(1);
    expect(sample(group, "edgefeed_features_events_processed_total")).toBe(3);
    expect(sample(group, "edgefeed_transcode_queue_depth")).toBe(0);
  });
});
