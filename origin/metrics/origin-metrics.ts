import type { Redis } from "ioredis";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { ConsumerGroups, featureKeys, UploadStreams } from "../../contracts/keyspace";
import { shareWithCluster } from "./cluster-metrics";
import { requestMetrics } from "./request-metrics.middleware";
import { groupInfo, idMillis } from "./stream-info";
import { transcodeDurations } from "./transcode-durations";

export interface OriginMetricsOptions {
  redis: Redis;
  /** P of `ev:{p}`; the origin's EVENT_PARTITIONS. */
  partitions?: number;
  /** Prepended to every key read; empty in production, unique per test. */
  keyPrefix?: string;
}

/** Per-request latency buckets (s): the API answers in ms; uploads and origin-pulls take longer. */
const REQUEST_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The origin's Prometheus registry. Request latency is observed in-process; everything about
 * streams and queues is read from Redis when scraped, so one scrape of any api replica sees the
 * whole fleet's consumers (features, transcode) without each role serving its own endpoint.
 *
 * In an api worker a scrape covers every worker of the process group (cluster-metrics.ts):
 * in-process series are summed; the Redis-read ones are read by the scraping worker only and
 * must not be summed, so each names its `aggregator`.
 */
export function createOriginMetrics(options: OriginMetricsOptions) {
  const { redis } = options;
  const partitions = options.partitions ?? 8;
  const prefix = options.keyPrefix ?? "";
  const keys = featureKeys(prefix);
  const streams = {
    jobs: prefix + UploadStreams.jobs,
    deadLetter: prefix + UploadStreams.deadLetter,
    events: prefix + UploadStreams.events,
  };
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "edgefeed_origin_" });

  const requestSeconds = new Histogram({
    name: "edgefeed_origin_http_request_duration_seconds",
    help: "Origin HTTP request latency by route pattern, method and status.",
    labelNames: ["method", "route", "status"] as const,
    buckets: REQUEST_BUCKETS,
    registers: [registry],
  });

  const processes = new Gauge({
    name: "edgefeed_origin_processes",
    help: "Origin processes whose in-process series this scrape sums (the api role's workers).",
    registers: [registry],
  });
  processes.set(1);

  const rankerSeconds = new Histogram({
    name: "edgefeed_ranker_latency_seconds",
    help: "Time to rank one user's candidates, by stage.",
    labelNames: ["stage"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5],
    registers: [registry],
  });

  const lag = new Gauge({
    name: "edgefeed_stream_lag_entries",
    help: "Events in ev:{p} the features group has not committed yet (undelivered + pending).",
    labelNames: ["partition"] as const,
    registers: [registry],
    aggregator: "first",
  });
  const staleness = new Gauge({
    name: "edgefeed_feature_staleness_seconds",
    help: "Age of the oldest event in ev:{p} not yet in the feature store; 0 when caught up.",
    labelNames: ["partition"] as const,
    registers: [registry],
    aggregator: "first",
  });
  let processedSeen: number | null = null;
  const processed = new Counter({
    name: "edgefeed_features_events_processed_total",
    help: "Events the features group has read and acknowledged, all partitions.",
    registers: [registry],
    // Every worker that ever served a scrape counts the same events; the highest count is the
    // most recent reading and never goes down while those workers live.
    aggregator: "max",
  });
  const queueDepth = new Gauge({
    name: "edgefeed_transcode_queue_depth",
    help: "Transcode jobs waiting or running (undelivered + pending in the transcoders group).",
    registers: [registry],
    aggregator: "first",
  });
  const deadLettered = new Gauge({
    name: "edgefeed_transcode_dead_lettered_jobs",
    help: "Jobs in the dead-letter stream: transcodes that failed every attempt.",
    registers: [registry],
    aggregator: "first",
  });
  const transcodeSeconds = new Histogram({
    name: "edgefeed_transcode_duration_seconds",
    help: "From a job queued on `uploads` to its video live on `upload-events`.",
    buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
    registers: [registry],
    // Each worker follows upload-events on its own; the one that has followed longest has seen
    // the most, and its counts are the group's.
    aggregator: "max",
  });
  const durations = transcodeDurations(redis, streams);
  const scrapeGroup = shareWithCluster(registry);

  /** Reads the stream gauges; a Redis outage leaves them at their last values, not the scrape broken. */
  async function refreshFromRedis(now = Date.now()): Promise<void> {
    let processedNow = 0;
    const positions = await redis.hgetall(keys.positions());
    for (let p = 0; p < partitions; p++) {
      const stream = keys.stream(p);
      const info = await groupInfo(redis, stream, ConsumerGroups.features);
      if (!info) continue;
      lag.set({ partition: String(p) }, (info.lag ?? 0) + info.pending);
      processedNow += Math.max(0, (info.entriesRead ?? 0) - info.pending);
      const oldest = (await redis.xrange(stream, `(${positions[p] ?? "0-0"}`, "+", "COUNT", 1))[0];
      staleness.set(
        { partition: String(p) },
        oldest ? Math.max(0, (now - idMillis(oldest[0])) / 1000) : 0,
      );
    }
    // entries-read restarts when a stream is recreated; a counter must never go down.
    if (processedSeen === null || processedNow < processedSeen) processed.inc(processedNow);
    else processed.inc(processedNow - processedSeen);
    processedSeen = processedNow;
    const jobs = await groupInfo(redis, streams.jobs, ConsumerGroups.transcoders);
    queueDepth.set(jobs ? (jobs.lag ?? 0) + jobs.pending : 0);
    deadLettered.set(await redis.xlen(streams.deadLetter));
    for (const seconds of await durations.next()) transcodeSeconds.observe(seconds);
  }

  return {
    registry,
    middleware: requestMetrics(requestSeconds),
    rankerSeconds,
    /** The Prometheus text, after reading what lives in Redis; in a worker, the whole group's. */
    async scrape(): Promise<string> {
      try {
        await refreshFromRedis();
      } catch (error) {
        console.warn(
          "metrics: redis gauges unavailable",
          error instanceof Error ? error.message : error,
        );
      }
      return scrapeGroup ? scrapeGroup() : registry.metrics();
    },
  };
}

export type OriginMetrics = ReturnType<typeof createOriginMetrics>;
