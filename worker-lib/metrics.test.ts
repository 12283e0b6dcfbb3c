import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { EdgeKeys } from "../contracts/keyspace";
import { DEAD_URL, redis } from "../testing/worker-lib/redis.testing";
import { MetricsBuffer } from "./metrics";
import { redisFromEnv } from "./redis.client";

describe("MetricsBuffer", () => {
  const minute = Date.UTC(2026, 0, 2, 3, 4, 0);

  it("aggregates in memory and writes one batch per flush to per-minute hashes", async () => {
    const buffer = new MetricsBuffer(minute);
    for (let i = 0; i < 300; i++) buffer.count("media.segment.edge-cache", 1, minute + 1_000);
    buffer.count("media.segment.r2", 1, minute + 2_000);
    buffer.count("feed.pages", 1, minute + 2_000);
    buffer.observeFeedLatency(3, minute + 2_000);
    buffer.observeFeedLatency(18, minute + 2_000);
    buffer.observeFeedLatency(5_000, minute + 61_000);
    expect(buffer.flushDue(minute + 2_000)).toBe(false);
    expect(buffer.flushDue(minute + 10_000)).toBe(true);
    await buffer.flush(redis, minute + 10_000);
    expect(EdgeKeys.metricsMinute(minute)).toBe("metrics:2026-01-02T03:04");
    expect(await redis.hgetall(EdgeKeys.metricsMinute(minute))).toEqual({
      "media.segment.edge-cache": 300,
      "media.segment.r2": 1,
      "feed.pages": 1,
      "feed.latency_ms.le_5": 1,
      "feed.latency_ms.le_20": 1,
    });
    expect(await redis.hgetall(EdgeKeys.metricsMinute(minute + 60_000))).toEqual({
      "feed.latency_ms.le_inf": 1,
    });
    expect(await redis.ttl(EdgeKeys.metricsMinute(minute))).toBeGreaterThan(0);
  });

  it("keeps the counts for the next flush when Redis is down", async () => {
    const later = minute + 3_600_000;
    const buffer = new MetricsBuffer(later);
    buffer.count("feed.fallback", 2, later);
    const dead = redisFromEnv({ ...env, UPSTASH_REDIS_REST_URL: DEAD_URL });
    await expect(buffer.flush(dead, later + 10_000)).rejects.toThrow();
    buffer.count("feed.fallback", 1, later);
    await buffer.flush(redis, later + 20_000);
    expect(await redis.hget(EdgeKeys.metricsMinute(later), "feed.fallback")).toBe(3);
  });
});
