import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { EdgeKeys } from "../../contracts/keyspace";
import { redisFromEnv } from "../../worker-lib/redis.client";
import { loadDashboard } from "./dashboard-data";

const redis = redisFromEnv(env);

describe("loadDashboard", () => {
  it("turns per-minute counters into ratios, percentiles and rates", async () => {
    // Minutes of a day no other test writes to.
    const now = Date.UTC(2020, 0, 1, 0, 10, 30);
    const minute = Date.UTC(2020, 0, 1, 0, 8);
    await redis.del(EdgeKeys.metricsMinute(minute), EdgeKeys.metricsMinute(now));
    await redis.hset(EdgeKeys.metricsMinute(minute), {
      "media.segment.edge-cache": 3,
      "media.segment.r2": 1,
      "media.playlist.origin": 2,
      "feed.pages": 4,
      "feed.fallback": 1,
      "feed.latency_ms.le_5": 2,
      "feed.latency_ms.le_10": 2,
      "events.accepted": 120,
      "events.rejected": 6,
      "feed.rank.ok": 30,
      "feed.rank.failed": 3,
    });
    const data = await loadDashboard(redis, { partitions: 2, windowMinutes: 5, now });
    expect(data.minutes).toEqual([6, 7, 8, 9, 10].map((m) => Date.UTC(2020, 0, 1, 0, m) / 1000));
    const chart = (id: string) => {
      const found = data.charts.find((c) => c.id === id);
      if (!found) throw new Error(`no chart ${id}`);
      return Object.fromEntries(found.series.map((s) => [s.label, s.values]));
    };
    expect(chart("cache-segment")).toEqual({
      "edge-cache": [null, null, 75, null, null],
      r2: [null, null, 25, null, null],
      origin: [null, null, 0, null, null],
    });
    expect(chart("cache-playlist").origin?.[2]).toBe(100);
    expect(chart("fallback-rate").fallback?.[2]).toBe(25);
    expect(chart("feed-latency").p50?.[2]).toBe(5);
    expect(chart("feed-latency").p99?.[2]).toBeCloseTo(9.9);
    expect(chart("events").accepted?.[2]).toBe(2);
    expect(chart("events").rejected?.[2]).toBe(0.1);
    expect(chart("edge-rank").ranked?.[2]).toBe(0.5);
    expect(chart("edge-rank").failed?.[2]).toBe(0.05);
    expect(chart("edge-rank")["nothing to rank"]?.[2]).toBeNull();
    expect(Object.keys(chart("stream-lag"))).toEqual(["ev:0", "ev:1"]);
    // Gauges are read now and land in the current minute, which is the last point.
    expect(chart("transcode")["queue depth"]?.[4]).toEqual(expect.any(Number));
    expect(chart("feature-staleness").staleness?.[4]).toEqual(expect.any(Number));
    expect(await redis.hget(EdgeKeys.metricsMinute(now), "gauge.transcode.dead")).not.toBeNull();
    await redis.del(EdgeKeys.metricsMinute(minute), EdgeKeys.metricsMinute(now));
  });
});
