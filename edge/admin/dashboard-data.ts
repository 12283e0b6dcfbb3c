import type { Redis } from "@upstash/redis/cloudflare";
import {
  GAUGES_LUA,
  GaugeFields,
  type Gauges,
  gaugeFields,
  gaugeScriptCall,
  parseGauges,
} from "../../contracts/gauges";
import {
  CatalogKeys,
  EdgeKeys,
  EventKeys,
  featureKeys,
  METRICS_MINUTE_TTL_SECONDS,
  UploadStreams,
} from "../../contracts/keyspace";
import type { DashboardChart, DashboardData, TrendingRegion } from "./dashboard.types";
import { quantile } from "./histogram";

/** The feature store's keys (the origin's, unprefixed in production); read-only here. */
const features = featureKeys("");

const MINUTE_MS = 60_000;
const TRENDING_TOP = 5;

type Minute = Record<string, number>;

export interface DashboardOptions {
  partitions: number;
  windowMinutes?: number;
  now?: number;
}

/**
 * Everything the dashboard draws. Counters come from the per-minute hashes the edge flushes;
 * gauges (lag, staleness, queue depth) are read now and written into the current minute's hash,
 * so their history accrues while anyone watches (the page refreshes every 10 s).
 */
export async function loadDashboard(
  redis: Redis,
  options: DashboardOptions,
): Promise<DashboardData> {
  const now = options.now ?? Date.now();
  const windowMinutes = options.windowMinutes ?? 60;
  const first = now - (now % MINUTE_MS) - (windowMinutes - 1) * MINUTE_MS;
  const starts = Array.from({ length: windowMinutes }, (_, i) => first + i * MINUTE_MS);

  const gauges = await readGauges(redis, options.partitions, now);
  const write = redis.pipeline();
  write.hset(EdgeKeys.metricsMinute(now), gaugeFields(gauges));
  write.expire(EdgeKeys.metricsMinute(now), METRICS_MINUTE_TTL_SECONDS);
  for (const start of starts) write.hgetall<Minute>(EdgeKeys.metricsMinute(start));
  const [, , ...hashes] = await write.exec<[unknown, unknown, ...(Minute | null)[]]>();
  const minutes = starts.map((_, i) => hashes[i] ?? {});

  const [deadLetters, trending] = await Promise.all([
    redis.xrange(UploadStreams.deadLetter, `${first}-0`, "+", 10_000),
    readTrending(redis),
  ]);
  const failures = new Map<number, number>();
  for (const id of Object.keys(deadLetters)) {
    const start = Number(id.split("-")[0]) - (Number(id.split("-")[0]) % MINUTE_MS);
    failures.set(start, (failures.get(start) ?? 0) + 1);
  }

  return {
    generated_at: new Date(now).toISOString(),
    minutes: starts.map((start) => start / 1000),
    charts: buildCharts(
      minutes,
      options.partitions,
      starts.map((s) => failures.get(s) ?? 0),
    ),
    trending,
  };
}

async function readGauges(redis: Redis, partitions: number, now: number): Promise<Gauges> {
  const { keys, args } = gaugeScriptCall(
    {
      positions: features.positions(),
      eventStreams: Array.from({ length: partitions }, (_, p) => EventKeys.stream(p)),
      transcodeJobs: UploadStreams.jobs,
      deadLetter: UploadStreams.deadLetter,
    },
    now,
  );
  return parseGauges(await redis.eval<string[], unknown>(GAUGES_LUA, keys, args));
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

function buildCharts(minutes: Minute[], partitions: number, failures: number[]): DashboardChart[] {
  const field = (m: Minute, name: string) => Number(m[name] ?? 0);
  const gauge = (name: string) =>
    minutes.map((m) => (m[name] === undefined ? null : Number(m[name])));
  const tierShare = (kind: "playlist" | "segment"): DashboardChart => ({
    id: `cache-${kind}`,
    title: `${kind === "playlist" ? "Playlist" : "Segment"} requests served by tier`,
    unit: "%",
    series: TIERS.map((tier) => ({
      label: tier,
      values: minutes.map((m) => {
        const total = TIERS.reduce((sum, t) => sum + field(m, `media.${kind}.${t}`), 0);
        return total === 0 ? null : (100 * field(m, `media.${kind}.${tier}`)) / total;
      }),
    })),
  });
  const latency = [0.5, 0.95, 0.99].map((q) => ({
    label: `p${Math.round(q * 100)}`,
    values: minutes.map((m) => quantile(m, "feed.latency_ms.", q)),
  }));
  const perSecond = (name: string) =>
    minutes.map((m) => (m[name] === undefined ? null : field(m, name) / 60));
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
          values: minutes.map((m) => {
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
        { label: "failed / min", values: failures },
      ],
    },
  ];
}
