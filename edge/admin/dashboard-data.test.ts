import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { GaugeFields } from "../../contracts/gauges";
import { EdgeKeys } from "../../contracts/keyspace";
import { redisFromEnv } from "../../worker-lib/redis.client";
import type { DashboardData } from "./dashboard.types";
import { loadDashboard } from "./dashboard-data";

const redis = redisFromEnv(env);
const MINUTE = 60_000;

function charts(data: DashboardData) {
  return (id: string) => {
    const found = data.charts.find((c) => c.id === id);
    if (!found) throw new Error(`no chart ${id}`);
    return Object.fromEntries(found.series.map((s) => [s.label, s.values]));
  };
}

describe("loadDashboard", () => {
  it("turns per-minute counters into ratios, percentiles and rates, beside the recorded gauges", async () => {
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
      [GaugeFields.lag(1)]: 17,
      [GaugeFields.stalenessMs]: 2_500,
      [GaugeFields.transcodeQueue]: 4,
      [GaugeFields.deadLettered]: 1,
    });
    const data = await loadDashboard(redis, { partitions: 2, window: "15m", now });
    expect(data.step_seconds).toBe(60);
    expect(data.times).toEqual(
      Array.from(
        { length: 15 },
        (_, i) => (Date.UTC(2020, 0, 1, 0, 10) - (14 - i) * MINUTE) / 1000,
      ),
    );
    const at = data.times.indexOf(minute / 1000);
    const chart = charts(data);
    const only = (value: number) => data.times.map((_, i) => (i === at ? value : null));
    expect(chart("cache-segment")).toEqual({
      "edge-cache": only(75),
      r2: only(25),
      origin: only(0),
    });
    expect(chart("cache-playlist").origin?.[at]).toBe(100);
    expect(chart("fallback-rate").fallback?.[at]).toBe(25);
    expect(chart("feed-latency").p50?.[at]).toBe(5);
    expect(chart("feed-latency").p99?.[at]).toBeCloseTo(9.9);
    expect(chart("events").accepted?.[at]).toBe(2);
    expect(chart("events").rejected?.[at]).toBe(0.1);
    expect(chart("edge-rank").ranked?.[at]).toBe(0.5);
    expect(chart("edge-rank").failed?.[at]).toBe(0.05);
    expect(chart("edge-rank")["nothing to rank"]?.[at]).toBeNull();
    expect(chart("stream-lag")).toEqual({ "ev:0": data.times.map(() => null), "ev:1": only(17) });
    expect(chart("feature-staleness").staleness).toEqual(only(2.5));
    expect(chart("transcode")["queue depth"]).toEqual(only(4));
    expect(chart("transcode")["dead letters"]).toEqual(only(1));
    // The gauges are the sampler's to record: asking for the dashboard writes nothing.
    expect(await redis.exists(EdgeKeys.metricsMinute(now))).toBe(0);
    await redis.del(EdgeKeys.metricsMinute(minute));
  });

  it("draws a day as 144 ten-minute points from every minute, read in one pipeline", async () => {
    const now = Date.UTC(2020, 0, 3, 12, 34, 56);
    const lastPoint = Date.UTC(2020, 0, 3, 12, 30);
    const first = lastPoint - 143 * 10 * MINUTE;
    // Up to the current minute, 12:34.
    const minutes = Array.from({ length: 1435 }, (_, i) => first + i * MINUTE);
    const spike = first + 50 * 10 * MINUTE + 7 * MINUTE;
    // A full minute as the edge and the sampler leave it: about 40 fields.
    const fieldsOf = (at: number, i: number) => ({
      ...Object.fromEntries(
        ["playlist", "segment", "poster"].flatMap((kind) => [
          [`media.${kind}.edge-cache`, 9],
          [`media.${kind}.r2`, 1],
          [`media.${kind}.origin`, 0],
        ]),
      ),
      "feed.pages": 10,
      "feed.fallback": 1,
      ...Object.fromEntries(
        [5, 10, 20, 50, 100, 250, 500, 1000, "inf"].map((b) => [`feed.latency_ms.le_${b}`, 1]),
      ),
      "feed.rank.ok": 6,
      "feed.rank.empty": 1,
      "feed.rank.failed": 0,
      "events.accepted": 600,
      "events.rejected": 6,
      "events.refused_batches": 0,
      ...Object.fromEntries(
        Array.from({ length: 8 }, (_, p) => [GaugeFields.lag(p), at === spike ? 500 : i % 10]),
      ),
      [GaugeFields.stalenessMs]: 1_000 * (i % 10),
      [GaugeFields.transcodeQueue]: 2,
      [GaugeFields.deadLettered]: 3,
    });
    for (let from = 0; from < minutes.length; from += 200) {
      const fill = redis.pipeline();
      minutes.slice(from, from + 200).forEach((at, j) => {
        fill.hset(EdgeKeys.metricsMinute(at), fieldsOf(at, from + j));
      });
      await fill.exec();
    }

    const timings: number[] = [];
    let data: DashboardData | undefined;
    for (let run = 0; run < 5; run++) {
      const started = performance.now();
      data = await loadDashboard(redis, { partitions: 8, window: "24h", now });
      timings.push(performance.now() - started);
    }
    timings.sort((a, b) => a - b);
    console.log(
      `24 h dashboard (1,435 minute hashes of 42 fields): median ${Math.round(timings[2] ?? 0)} ms, ` +
        `min ${Math.round(timings[0] ?? 0)} ms, max ${Math.round(timings[4] ?? 0)} ms`,
    );
    if (!data) throw new Error("no dashboard");
    expect(data.step_seconds).toBe(600);
    expect(data.times).toHaveLength(144);
    expect(data.times[0]).toBe(first / 1000);
    expect(data.times.at(-1)).toBe(lastPoint / 1000);
    const chart = charts(data);
    // Counters add up over the point: the ratios are the minutes', the rates per second of it.
    expect(new Set(chart("fallback-rate").fallback)).toEqual(new Set([10]));
    expect(chart("cache-segment")["edge-cache"]?.[0]).toBe(90);
    expect(chart("events").accepted?.[0]).toBe(10);
    expect(chart("feed-latency").p50?.[0]).toBe(75);
    // A gauge keeps the point's worst reading, so one bad minute stays in sight.
    expect(chart("stream-lag")["ev:3"]?.[49]).toBe(9);
    expect(chart("stream-lag")["ev:3"]?.[50]).toBe(500);
    expect(chart("feature-staleness").staleness?.[0]).toBe(9);
    // The last point holds its first five minutes so far, and its rates are theirs.
    expect(chart("feature-staleness").staleness?.at(-1)).toBe(4);
    expect(chart("events").accepted?.at(-1)).toBe(10);

    for (let from = 0; from < minutes.length; from += 500) {
      await redis.del(...minutes.slice(from, from + 500).map((at) => EdgeKeys.metricsMinute(at)));
    }
  }, 60_000);
});
