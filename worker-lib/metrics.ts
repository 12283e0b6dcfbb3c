import type { Redis } from "@upstash/redis/cloudflare";
import { EdgeKeys, METRICS_MINUTE_TTL_SECONDS } from "../contracts/keyspace";

/** Upper bounds (ms) of the feed latency histogram; the goal to report against is p99 ≤ 20 ms. */
const LATENCY_BUCKETS_MS = [5, 10, 20, 50, 100, 250, 500, 1000];
const FLUSH_INTERVAL_MS = 10_000;
const FLUSH_MAX_PENDING = 1_000;

/**
 * Operator counters, aggregated in the isolate's memory per minute and written to Redis in one
 * pipeline (HINCRBY per field) every 10 s or 1,000 observations, never once per request. Fields:
 * `feed.pages`, `feed.fallback`, `feed.latency_ms.le_{bound}` (non-cumulative buckets, `le_inf`
 * last), `feed.rank.{ok|empty|failed}` (the UserFeed object's synchronous `/v1/rank` calls),
 * `media.{playlist|segment|poster}.{edge-cache|r2|origin}`. Fallback rate per minute is
 * `feed.fallback / feed.pages`. An isolate that dies unflushed loses at most its last 10 s.
 */
export class MetricsBuffer {
  private minutes = new Map<string, Map<string, number>>();
  private pending = 0;
  private lastFlush: number;

  constructor(now = Date.now()) {
    this.lastFlush = now;
  }

  count(field: string, by = 1, now = Date.now()): void {
    const key = EdgeKeys.metricsMinute(now);
    let fields = this.minutes.get(key);
    if (!fields) {
      fields = new Map();
      this.minutes.set(key, fields);
    }
    fields.set(field, (fields.get(field) ?? 0) + by);
    this.pending++;
  }

  observeFeedLatency(ms: number, now = Date.now()): void {
    const bound = LATENCY_BUCKETS_MS.find((limit) => ms <= limit);
    this.count(`feed.latency_ms.le_${bound ?? "inf"}`, 1, now);
  }

  flushDue(now = Date.now()): boolean {
    return (
      this.pending > 0 &&
      (now - this.lastFlush >= FLUSH_INTERVAL_MS || this.pending >= FLUSH_MAX_PENDING)
    );
  }

  /** Writes everything buffered; on failure the counts are merged back for the next flush. */
  async flush(redis: Redis, now = Date.now()): Promise<void> {
    const batch = this.minutes;
    if (batch.size === 0) return;
    this.minutes = new Map();
    const pending = this.pending;
    this.pending = 0;
    this.lastFlush = now;
    const pipeline = redis.pipeline();
    for (const [key, fields] of batch) {
      for (const [field, value] of fields) pipeline.hincrby(key, field, value);
      pipeline.expire(key, METRICS_MINUTE_TTL_SECONDS);
    }
    try {
      await pipeline.exec();
    } catch (error) {
      for (const [key, fields] of batch) {
        for (const [field, value] of fields) {
          const current = this.minutes.get(key) ?? new Map<string, number>();
          current.set(field, (current.get(field) ?? 0) + value);
          this.minutes.set(key, current);
        }
      }
      this.pending += pending;
      throw error;
    }
  }
}

/** The isolate's buffer, shared by every request the isolate serves. */
export const metrics = new MetricsBuffer();
