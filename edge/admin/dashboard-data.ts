import type { Redis } from "@upstash/redis/cloudflare";
import { GaugeFields } from "../../contracts/gauges";
import {
  CatalogKeys,
  EdgeKeys,
  EventKeys,
  featureKeys,
  UploadStreams,
} from "../../contracts/keyspace";
import type { DashboardChart, DashboardData, TrendingRegion } from "./dashboard.types";
import { DASHBOARD_WINDOWS, type DashboardWindow } from "./dashboard-window";
import { quantile } from "./histogram";
import { type Fields, mergeMinutes } from "./minute-buckets";

/** The feature store's keys (the origin's, unprefixed in production); read-only here. */
const features = featureKeys("");

const MINUTE_MS = 60_000;
const TRENDING_TOP = 5;

export interface DashboardOptions {
  partitions: number;
  window: DashboardWindow;
  now?: number;
}

/**
 * Everything the dashboard draws, from the per-minute hashes alone: the counters the edge flushes
 * and the gauges the origin's sampler role records there every 10 s, so the charts show the
 * window whether or not anyone watched it. Every minute of the window is read in one pipeline and
 * merged into points of the window's step, aligned to the step so points keep their place across
 * refreshes; the last point holds the minutes so far.
 */
export async function loadDashboard(
  redis: Redis,
  options: DashboardOptions,
): Promise<DashboardData> {
  const now = options.now ?? Date.now();
  const { minutes: windowMinutes, stepMinutes } = DASHBOARD_WINDOWS[options.window];
  const stepMs = stepMinutes * MINUTE_MS;
  const pointCount = windowMinutes / stepMinutes;
  const first = now - (now % stepMs) - (pointCount - 1) * stepMs;
  const points = Array.from({ length: pointCount }, (_, i) => first + i * stepMs);
  const minuteCount = Math.floor((now - first) / MINUTE_MS) + 1;

  const read = redis.pipeline();
  for (let i = 0; i < minuteCount; i++) {
    read.hgetall<Fields>(EdgeKeys.metricsMinute(first + i * MINUTE_MS));
  }
  const [hashes, deadLetters, trending] = await Promise.all([
    read.exec<(Fields | null)[]>(),
    redis.xrange(UploadStreams.deadLetter, `${first}-0`, "+", 10_000),
    readTrending(redis),
  ]);
  const spans = points.map((_, p) => hashes.slice(p * stepMinutes, (p + 1) * stepMinutes));
  const merged = spans.map((span) => mergeMinutes(span.map((fields) => fields ?? {})));
  // Rates are per minute the point holds: the last point has only the minutes so far.
  const spanMinutes = spans.map((span) => span.length);
  const failures = points.map(() => 0);
  for (const id of Object.keys(deadLetters)) {
    const point = Math.floor((Number(id.split("-")[0]) - first) / stepMs);
    if (point >= 0 && point < pointCount) failures[point] = (failures[point] ?? 0) + 1;
  }

  return {
    generated_at: new Date(now).toISOString(),
    window: options.window,
    step_seconds: stepMs / 1000,
    times: points.map((start) => start / 1000),
    charts: buildCharts(
      merged,
      options.partitions,
      spanMinutes,
      failures.map((count, p) => count / (spanMinutes[p] ?? 1)),
    ),
    trending,
  };
}

async function readTrending(redis: Redis): Promise<TrendingRegion[]> {
  const regions = (await redis.smembers(features.trendingRegions())).map(String).sort();
  if (regions.length === 0) return [];
  const ranks = redis.pipeline();
  for (const region of regions) {
    ranks.zrange(CatalogKeys.trending(region), 0, TRENDING_TOP - 1, {
      rev: true,
      withScores: true,
    });
  }
  const lists = await ranks.exec<(string | number)[][]>();
  const tops = lists.map((flat) => {
    const top: { id: string; score: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2)
      top.push({ id: String(flat[i]), score: Number(flat[i + 1]) });
    return top;
  });
  const ids = [...new Set(tops.flat().map((t) => t.id))];
  const meta = new Map<string, { caption: string; creator_id: string }>();
  if (ids.length > 0) {
    const lookups = redis.pipeline();
    for (const id of ids) lookups.hmget(CatalogKeys.video(id), "caption", "creator_id");
    const rows = await lookups.exec<(Record<string, unknown> | null)[]>();
    ids.forEach((id, i) => {
      meta.set(id, {
        caption: String(rows[i]?.caption ?? ""),
        creator_id: String(rows[i]?.creator_id ?? ""),
      });
    });
  }
  return regions.map((region, i) => ({
    region,
    top: (tops[i] ?? []).map((t) => ({
      ...t,
      ...(meta.get(t.id) ?? { caption: "", creator_id: "" }),
    })),
  }));
}

const TIERS = ["edge-cache", "r2", "origin"] as const;

function buildCharts(
  points: Fields[],
  partitions: number,
  spanMinutes: number[],
  failuresPerMinute: number[],
): DashboardChart[] {
  const field = (m: Fields, name: string) => m[name] ?? 0;
  const gauge = (name: string) => points.map((m) => m[name] ?? null);
  const tierShare = (kind: "playlist" | "segment"): DashboardChart => ({
    id: `cache-${kind}`,
    title: `${kind === "playlist" ? "Playlist" : "Segment"} requests served by tier`,
    unit: "%",
    series: TIERS.map((tier) => ({
      label: tier,
      values: points.map((m) => {
        const total = TIERS.reduce((sum, t) => sum + field(m, `media.${kind}.${t}`), 0);
        return total === 0 ? null : (100 * field(m, `media.${kind}.${tier}`)) / total;
      }),
    })),
  });
  const latency = [0.5, 0.95, 0.99].map((q) => ({
    label: `p${Math.round(q * 100)}`,
    values: points.map((m) => quantile(m, "feed.latency_ms.", q)),
  }));
  const perSecond = (name: string) =>
    points.map((m, p) =>
      m[name] === undefined ? null : field(m, name) / (60 * (spanMinutes[p] ?? 1)),
    );
  return [
    tierShare("playlist"),
    tierShare("segment"),
    { id: "feed-latency", title: "Feed latency at the edge", unit: "ms", series: latency },
    {
      id: "fallback-rate",
      title: "Feed pages served from the fallback",
      unit: "%",
      series: [
        {
          label: "fallback",
          values: points.map((m) => {
            const pages = field(m, "feed.pages");
            return pages === 0 ? null : (100 * field(m, "feed.fallback")) / pages;
          }),
        },
      ],
    },
    {
      id: "edge-rank",
      title: "Synchronous ranks when fyp:{user} ran out",
      unit: "/s",
      series: [
        { label: "ranked", values: perSecond("feed.rank.ok") },
        { label: "nothing to rank", values: perSecond("feed.rank.empty") },
        { label: "failed", values: perSecond("feed.rank.failed") },
      ],
    },
    {
      id: "events",
      title: "Events",
      unit: "/s",
      series: [
        { label: "accepted", values: perSecond("events.accepted") },
        { label: "rejected", values: perSecond("events.rejected") },
        { label: "refused batches", values: perSecond("events.refused_batches") },
      ],
    },
    {
      id: "stream-lag",
      title: "Stream consumer lag per partition",
      unit: "events",
      series: Array.from({ length: partitions }, (_, p) => ({
        label: EventKeys.stream(p),
        values: gauge(GaugeFields.lag(p)),
      })),
    },
    {
      id: "feature-staleness",
      title: "Feature freshness: age of the oldest unprocessed event",
      unit: "s",
      series: [
        {
          label: "staleness",
          values: gauge(GaugeFields.stalenessMs).map((ms) => (ms === null ? null : ms / 1000)),
        },
      ],
    },
    {
      id: "transcode",
      title: "Transcode queue and failures",
      unit: "jobs",
      series: [
        { label: "queue depth", values: gauge(GaugeFields.transcodeQueue) },
        { label: "dead letters", values: gauge(GaugeFields.deadLettered) },
        { label: "failed / min", values: failuresPerMinute },
      ],
    },
  ];
}
