// The hit-ratio replay of bench/feed-serve.bench.ts: distinct viewers with distinct feeds over a
// Zipf catalog, swiping at a human pace compressed in time, replayed against Worker instances at
// once: pre-warm as wrangler.toml's PREWARM_VIDEOS, off (0), and the first three videos (3, the
// earlier default).
// Each instance has its own in-memory cache and R2 (`persist: false`); R2 is filled first through
// origin pulls under one host name and the replay runs under the other, so its edge cache starts
// cold. The instances share Redis and the origin; each has its own users (same lists, distinct
// ids), so each has its own `fyp:{user}` and UserFeed objects. Run at the same time, all see the
// same noise.
//
// Env: FEED_REPLAY_USERS (per instance, default 60; 120 overloaded a shared 2-core box to a
// 1 s p50 and fallback pages), FEED_REPLAY_TIME_SCALE (default 10).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { Redis } from "ioredis";
import { unstable_readConfig } from "wrangler";
import { encodeForYouMember, FEED_PAGE_DEFAULT, type FeedPage } from "../contracts/feed.schema";
import { CatalogKeys, MediaKeys } from "../contracts/keyspace";
import { lowestVariant } from "../contracts/media.schema";
import { issueSessionToken } from "../edge/session/session-token";
import { LOCAL_BUCKET, LOCAL_S3_CREDENTIALS } from "../origin/dev/local-services";
import { createS3Client } from "../origin/storage/s3.client";
import {
  fixtureMaster,
  fixturePlaylist,
  fixtureSegment,
} from "../testing/contracts/media.fixtures";
import { startEdge, wranglerConfig } from "./feed-serve.edge";
import { envNumber } from "./feed-serve.load";
import type { BenchStack } from "./feed-serve.stack";
import { buildWorkload, type ReplayUser, type Workload } from "./feed-serve.workload";
import { percentile } from "./stats";

const USERS = envNumber("FEED_REPLAY_USERS", 60);
/** Viewer time runs this many times faster than wall time: 4 s of dwell take 0.4 s. */
const TIME_SCALE = envNumber("FEED_REPLAY_TIME_SCALE", 10);
const PAGES_WATCHED = 3;
const PLAYS = PAGES_WATCHED * FEED_PAGE_DEFAULT;
/**
 * A UserFeed object pops `fyp:{user}` 24 at a time and keeps 3 pages buffered, so the pages a
 * session asks for (watched ones plus the one the app fetches ahead) need 56 candidates; with
 * fewer the object would ask the origin to rank, and the lists would no longer be the trace.
 */
const LIST_LENGTH = 56;
const WORKLOAD = {
  catalog: 5000,
  users: USERS,
  plays: PLAYS,
  listLength: LIST_LENGTH,
  /** Viewer time; at a scale of 10 sessions start over the first minute of wall time. */
  arrivalMs: 600_000,
  // Short-video dwell: most swipes within a few seconds, a long tail of full watches of the
  // 15 s clips (log-normal, median 4 s, p95 about 17 s before the cap).
  dwellMedianMs: 4000,
  dwellSigma: 0.9,
  dwellMinMs: 300,
  dwellMaxMs: 15_000,
  headShare: 0.8,
  seed: 16,
};
/** web/src/feed-view.ts: the next page is asked for while this many videos are still ahead. */
const REFILL_AT = 4;
const FILL_CONCURRENCY = 16;
const MAX_PAGE_ERRORS = 5;
const PAGE_RETRY_MS = 200;

export interface ReplaySetup {
  stack: BenchStack;
  /** The bench Worker's env file: service URLs and secrets; each instance adds its own vars. */
  envFile: string;
  region: string;
  signingSecret: string;
}

type Tier = "edge-cache" | "r2" | "origin" | "error";

interface Play {
  /** 1-based page of the session and position in that page. */
  page: number;
  position: number;
  head: boolean;
  master: Tier;
  playlist: Tier;
  segment: Tier;
  /** From the swipe (for a session's first video, the first page's arrival) to the segment. */
  ms: number;
}

interface Edge {
  pullUrl: string;
  replayUrl: string;
  dispose(): Promise<void>;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

const videoId = (rank: number) => `replay-${rank}`;
const segmentKey = (id: string) => `${MediaKeys.prefix(id, 1)}240p/seg-00000.ts`;

export async function hitRatioReplay(setup: ReplaySetup) {
  const variants = [
    {
      name: "on",
      prewarmVideos: String(unstable_readConfig({ config: wranglerConfig }).vars.PREWARM_VIDEOS),
    },
    { name: "off", prewarmVideos: "0" },
    // The earlier default measured alongside: the first three videos of a page.
    { name: "first_three", prewarmVideos: "3" },
  ];
  console.log("replay: drawing the workload…");
  const workload = buildWorkload(WORKLOAD);
  await seed(
    setup,
    workload,
    variants.map((v) => v.name),
  );
  const stateDir = mkdtempSync(join(tmpdir(), "edgefeed-replay-"));
  const edges = await Promise.all(
    variants.map((variant) => startReplayEdge(setup.envFile, stateDir, variant)),
  );
  try {
    console.log(`replay: filling R2 with ${workload.listed.length} videos per instance…`);
    await Promise.all(edges.map((edge) => fillR2(edge, workload)));
    console.log(
      `replay: ${USERS} viewers per instance, ${PLAYS} videos each, time scale ${TIME_SCALE}…`,
    );
    const started = performance.now();
    const runs = await Promise.all(
      variants.map((variant, i) => replay(setup, edges[i]!, variant.name, workload)),
    );
    const seconds = (performance.now() - started) / 1000;
    const results = variants.map((variant, i) => ({
      PREWARM_VIDEOS: variant.prewarmVideos,
      ...summarize(runs[i]!),
    }));
    const [on, off, firstThree] = [results[0]!, results[1]!, results[2]!];
    const summary = {
      workload: {
        catalog: WORKLOAD.catalog,
        videos_with_media: workload.listed.length,
        zipf_exponent: round(workload.exponent, 3),
        head_videos: workload.head,
        head_share_of_plays: round(headShare(runs[0]!.plays), 3),
        users_per_instance: USERS,
        plays_per_user: PLAYS,
        dwell: `log-normal, median ${WORKLOAD.dwellMedianMs} ms, sigma ${WORKLOAD.dwellSigma}, ${WORKLOAD.dwellMinMs}–${WORKLOAD.dwellMaxMs} ms`,
        time_scale: TIME_SCALE,
        wall_seconds: round(seconds, 1),
      },
      on,
      off,
      first_three: firstThree,
      gain: gain(on, off),
      first_three_gain: gain(firstThree, off),
    };
    console.log(`replay gain (on - off): ${JSON.stringify(summary.gain)}`);
    console.log(`replay gain (first three - off): ${JSON.stringify(summary.first_three_gain)}`);
    return summary;
  } finally {
    await Promise.all(edges.map((edge) => edge.dispose()));
    rmSync(stateDir, { recursive: true, force: true });
  }
}

type Summary = ReturnType<typeof summarize>;

function gain(variant: Summary, off: Summary) {
  const swipe = (p: "p50" | "p95" | "p99") =>
    round(variant.swipe_to_first_segment_ms[p] - off.swipe_to_first_segment_ms[p]);
  return {
    first_segment_hit_ratio: round(
      variant.first_segment.hit_ratio - off.first_segment.hit_ratio,
      4,
    ),
    playlist_hit_ratio: round(variant.playlists.hit_ratio - off.playlists.hit_ratio, 4),
    swipe_p50_ms: swipe("p50"),
    swipe_p95_ms: swipe("p95"),
    swipe_p99_ms: swipe("p99"),
  };
}

/** The listed videos' catalog entries, media in the S3 store and each variant's users' lists. */
async function seed(setup: ReplaySetup, workload: Workload, variants: string[]): Promise<void> {
  const redis = new Redis(setup.stack.redisUrl);
  const pipeline = redis.pipeline();
  for (const rank of workload.listed) {
    const id = videoId(rank);
    pipeline.hset(CatalogKeys.video(id), {
      id,
      creator_id: `replay-creator-${rank % 500}`,
      caption: `replay ${rank}`,
      hashtags: JSON.stringify(["replay"]),
      audio_id: `replay-audio-${rank % 300}`,
      language: "en",
      duration_ms: 15_000,
      width: 720,
      height: 1280,
      version: 1,
      renditions: "[]",
      status: "live",
      created_at: new Date().toISOString(),
    });
  }
  for (const variant of variants) {
    for (const [u, user] of workload.users.entries()) {
      const key = CatalogKeys.forYou(userId(variant, u));
      pipeline.del(key);
      user.list.forEach((rank, k) => {
        pipeline.zadd(key, user.list.length - k, encodeForYouMember(videoId(rank)));
      });
    }
  }
  await pipeline.exec();
  redis.disconnect();

  const s3 = createS3Client({
    endpoint: setup.stack.s3Endpoint,
    region: "auto",
    bucket: LOCAL_BUCKET,
    ...LOCAL_S3_CREDENTIALS,
  });
  const objects = workload.listed.map(videoId).flatMap((id) => [
    { key: MediaKeys.master(id, 1), body: fixtureMaster() },
    { key: MediaKeys.playlist(id, 1, "240p"), body: fixturePlaylist() },
    { key: segmentKey(id), body: fixtureSegment(id).repeat(40) },
  ]);
  for (let i = 0; i < objects.length; i += 32) {
    await Promise.all(
      objects
        .slice(i, i + 32)
        .map(({ key, body }) =>
          s3.send(new PutObjectCommand({ Bucket: LOCAL_BUCKET, Key: key, Body: body })),
        ),
    );
  }
  s3.destroy();
}

const userId = (variant: string, u: number) => `replay-${variant}-${u}`;

async function startReplayEdge(
  envFile: string,
  stateDir: string,
  variant: { name: string; prewarmVideos: string },
): Promise<Edge> {
  const vars = join(stateDir, `${variant.name}.env`);
  writeFileSync(vars, `PREWARM_VIDEOS=${variant.prewarmVideos}\n`);
  const worker = await startEdge([envFile, vars]);
  const url = (await worker.url).origin;
  // Two host names, two sets of Cache API keys: origin pulls under one fill R2 (and only that
  // name's cache), the replay runs under the other.
  return {
    pullUrl: url,
    replayUrl: url.replace("127.0.0.1", "localhost"),
    dispose: () => worker.dispose(),
  };
}

async function fillR2(edge: Edge, workload: Workload): Promise<void> {
  const keys = workload.listed
    .map(videoId)
    .flatMap((id) => [MediaKeys.master(id, 1), MediaKeys.playlist(id, 1, "240p"), segmentKey(id)]);
  let next = 0;
  await Promise.all(
    Array.from({ length: FILL_CONCURRENCY }, async () => {
      for (let key = keys[next++]; key !== undefined; key = keys[next++]) {
        const response = await fetch(`${edge.pullUrl}/v1/${key}`);
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`replay: R2 fill of ${key}: ${response.status}`);
      }
    }),
  );
}

interface Run {
  plays: Play[];
  /** Pages that came from the fallback (a Redis or object deadline under load): not the trace. */
  fallbackPages: number;
  /** Page requests that failed and were asked again, as the app does on the next swipe. */
  pageErrors: number;
  /** Sessions that ended early because their feed kept failing. */
  abandoned: number;
}

async function replay(
  setup: ReplaySetup,
  edge: Edge,
  variant: string,
  workload: Workload,
): Promise<Run> {
  const started = performance.now();
  const head = new Set(Array.from({ length: workload.head }, (_, r) => videoId(r)));
  const sessions = workload.users.map(async (user, u) => {
    await sleep(started + user.startMs / TIME_SCALE - performance.now());
    const { token } = await issueSessionToken(setup.signingSecret, {
      userId: userId(variant, u),
      region: setup.region,
    });
    return session(edge.replayUrl, token, user, head);
  });
  const runs = await Promise.all(sessions);
  return {
    plays: runs.flatMap((run) => run.plays),
    fallbackPages: runs.reduce((sum, run) => sum + run.fallbackPages, 0),
    pageErrors: runs.reduce((sum, run) => sum + run.pageErrors, 0),
    abandoned: runs.reduce((sum, run) => sum + run.abandoned, 0),
  };
}

interface Queued {
  manifestUrl: string;
  id: string;
  page: number;
  position: number;
  fallback: boolean;
}

/**
 * One viewer as the app drives the player: the first page, then per video the master playlist,
 * the lowest rendition's playlist and its first segment (hls.js's first requests at the
 * 240p start level), the dwell, the swipe. The next page is asked for as web/src/feed-view.ts
 * does, while REFILL_AT videos are still ahead, one request at a time; a swipe past the last
 * video waits for it.
 */
async function session(
  edgeUrl: string,
  token: string,
  user: ReplayUser,
  head: Set<string>,
): Promise<Run> {
  const run: Run = { plays: [], fallbackPages: 0, pageErrors: 0, abandoned: 0 };
  const queue: Queued[] = [];
  let cursor = "";
  let pages = 0;
  let pending: Promise<void> | null = null;
  const fetchPage = async () => {
    const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
    const response = await fetch(`${edgeUrl}/v1/feed${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!response.ok) {
      const body = await response.text();
      run.pageErrors++;
      if (run.pageErrors === 1)
        console.warn(`replay: page ${pages + 1}: ${response.status} ${body}`);
      // Like the app, which asks again on the next swipe.
      await sleep(PAGE_RETRY_MS);
      return;
    }
    const page = (await response.json()) as FeedPage;
    cursor = page.next_cursor;
    pages++;
    if (page.fallback) run.fallbackPages++;
    page.items.forEach((item, i) => {
      queue.push({
        manifestUrl: item.manifest_url,
        id: item.id,
        page: pages,
        position: i + 1,
        fallback: page.fallback !== null,
      });
    });
  };
  const refill = () => {
    pending ??= fetchPage().finally(() => {
      pending = null;
    });
    return pending;
  };

  // A page asked for ahead fails into this, and the next swipe reports it.
  let failure: unknown = null;
  await refill();
  let swipedAt = performance.now();
  for (const [index, dwellMs] of user.dwellMs.entries()) {
    while (queue.length <= index && run.pageErrors <= MAX_PAGE_ERRORS) await refill();
    // A feed that keeps failing: the viewer gives up, and the session is counted as abandoned.
    if (queue.length <= index) {
      run.abandoned++;
      break;
    }
    if (failure) throw failure;
    const item = queue[index]!;
    const started = play(edgeUrl, item, swipedAt);
    if (queue.length - index <= REFILL_AT) {
      refill().catch((error: unknown) => {
        failure = error;
      });
    }
    const played = await started;
    // A fallback page's videos (regional trending) are outside the replayed catalog.
    if (!item.fallback) {
      run.plays.push({
        ...played,
        page: item.page,
        position: item.position,
        head: head.has(item.id),
      });
    }
    await sleep(dwellMs / TIME_SCALE);
    swipedAt = performance.now();
  }
  await pending;
  if (failure) throw failure;
  return run;
}

async function play(edgeUrl: string, item: Queued, swipedAt: number) {
  const master = await get(new URL(item.manifestUrl, edgeUrl));
  const variant = lowestVariantUrl(master);
  if (!variant) throw new Error(`replay: no variant in ${item.manifestUrl}`);
  const playlist = await get(variant);
  const first = playlist.text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .find((line) => line && !line.startsWith("#"));
  if (!first) throw new Error(`replay: no segment in ${variant}`);
  const segment = await get(new URL(first, variant));
  return {
    master: master.tier,
    playlist: playlist.tier,
    segment: segment.tier,
    ms: performance.now() - swipedAt,
  };
}

async function get(url: URL): Promise<{ tier: Tier; text: string; url: URL }> {
  const response = await fetch(url);
  const text = await response.text();
  const tier = response.ok ? (response.headers.get("x-edgefeed-tier") as Tier | null) : null;
  return { tier: tier ?? "error", text, url };
}

/** What hls.js starts on with no bandwidth estimate yet: the lowest BANDWIDTH, resolved. */
function lowestVariantUrl(master: { text: string; url: URL }): URL | null {
  const uri = lowestVariant(master.text);
  return uri === null ? null : new URL(uri, master.url);
}

function tiers(values: Tier[]) {
  const counts: Partial<Record<Tier, number>> = {};
  for (const tier of values) counts[tier] = (counts[tier] ?? 0) + 1;
  const hits = counts["edge-cache"] ?? 0;
  return { hit_ratio: values.length ? round(hits / values.length, 4) : 0, tiers: counts };
}

function latency(plays: Play[]) {
  const ms = plays.map((p) => p.ms);
  return {
    p50: round(percentile(ms, 50)),
    p95: round(percentile(ms, 95)),
    p99: round(percentile(ms, 99)),
  };
}

function headShare(plays: Play[]): number {
  return plays.filter((p) => p.head).length / plays.length;
}

function summarize(run: Run) {
  const { plays } = run;
  const positions = [...new Set(plays.map((p) => p.position))].sort((a, b) => a - b);
  const segmentRatio = (subset: Play[]) => tiers(subset.map((p) => p.segment)).hit_ratio;
  const byTier = (tier: Tier) => latency(plays.filter((p) => p.segment === tier)).p50;
  return {
    plays: plays.length,
    fallback_pages: run.fallbackPages,
    page_errors: run.pageErrors,
    abandoned_sessions: run.abandoned,
    first_segment: tiers(plays.map((p) => p.segment)),
    playlists: tiers(plays.flatMap((p) => [p.master, p.playlist])),
    swipe_to_first_segment_ms: latency(plays),
    swipe_p50_ms_by_segment_tier: { edge_cache: byTier("edge-cache"), r2: byTier("r2") },
    first_segment_hit_ratio_by_popularity: {
      head: segmentRatio(plays.filter((p) => p.head)),
      tail: segmentRatio(plays.filter((p) => !p.head)),
    },
    // The first page races its own pre-warm (the player asks at once); later pages were asked
    // for REFILL_AT videos ahead of their first video.
    per_position: positions.map((position) => {
      const at = plays.filter((p) => p.position === position);
      const firstPage = at.filter((p) => p.page === 1);
      const later = at.filter((p) => p.page > 1);
      return {
        position,
        plays: at.length,
        first_segment_hit_ratio: segmentRatio(at),
        first_page: segmentRatio(firstPage),
        first_page_playlists: tiers(firstPage.flatMap((p) => [p.master, p.playlist])).hit_ratio,
        later_pages: segmentRatio(later),
        tail_later_pages: segmentRatio(later.filter((p) => !p.head)),
      };
    }),
  };
}
