import { DEMO_TOPIC_TAGS } from "../demo/demo.catalog";
import { EdgeClient } from "./edge.client";
import { type EventCounts, emptyCounts } from "./event.batcher";
import { SimulatedViewer, type ViewerStats } from "./simulated.viewer";
import { viewerTaste } from "./viewer.taste";

export interface CrowdOptions {
  /** The edge, e.g. `http://127.0.0.1:8787`: sessions, feed and events go through its public API. */
  edgeUrl: string;
  /** Viewers watching at once. */
  viewers: number;
  /** Decides every taste and reaction; the same seed makes the same crowd. Default 1. */
  seed?: string | number;
  /** The topics tastes are drawn over (hashtags); default the demo catalog's. */
  topics?: readonly string[];
  region?: string;
  /** Simulated time per wall-clock time; above ~3 the feature processor may flag viewers as bots. */
  speed?: number;
  pageLimit?: number;
  /** Ask for the next page with this many videos left; the web app's 4 by default. */
  prefetchAt?: number;
  /** A viewer leaves after this many pages and a new one takes its place; default unlimited. */
  pagesPerViewer?: number;
  /** Viewers join evenly over this long, so they don't all start on the same second; default 0. */
  rampMs?: number;
  /** The web app posts its queued events every 400 ms. */
  flushEveryMs?: number;
  /** Called with each viewer's error; the slot then starts a new viewer after a pause. */
  onError?: (error: unknown, viewer: ViewerStats) => void;
  fetch?: typeof fetch;
}

export interface CrowdTotals {
  pages: number;
  videos: number;
  repeats: number;
  completes: number;
  likes: number;
  shares: number;
  follows: number;
  skips: number;
  hardSkips: number;
  sessions: number;
  feedErrors: number;
  events: EventCounts;
}

export interface CrowdStats {
  elapsedMs: number;
  running: boolean;
  /** Chance level of the favourite-topic share: one over the number of topics. */
  chanceShare: number;
  /** Every viewer so far, including those who left. */
  viewers: ViewerStats[];
  totals: CrowdTotals;
}

const RESTART_PAUSE_MS = 2_000;

/**
 * A crowd of simulated viewers against a running edge: each has its own seeded taste over topics
 * and creators (viewer.taste.ts) and behaves like the web app (simulated.viewer.ts). `stats()` is
 * a live snapshot (pages with their favourite-topic share, events accepted or rejected), for the
 * CLI's summary, the local stack, tests, online evaluation and load.
 *
 * @example
 * const crowd = new Crowd({ edgeUrl: "http://127.0.0.1:8787", viewers: 8, seed: 7 });
 * crowd.start();
 * await new Promise((r) => setTimeout(r, 60_000));
 * await crowd.stop();
 * console.log(formatSummary(crowd.stats()));
 */
export class Crowd {
  private readonly abort = new AbortController();
  private readonly viewers: SimulatedViewer[] = [];
  private slots: Promise<void>[] = [];
  private startedAt = 0;
  private readonly client: EdgeClient;
  private readonly topics: readonly string[];

  constructor(private readonly options: CrowdOptions) {
    if (!Number.isInteger(options.viewers) || options.viewers < 0) {
      throw new Error("crowd: viewers must be a whole number");
    }
    this.client = new EdgeClient(options.edgeUrl.replace(/\/$/, ""), options.fetch);
    this.topics = options.topics ?? DEMO_TOPIC_TAGS;
  }

  get running(): boolean {
    return this.startedAt > 0 && !this.abort.signal.aborted;
  }

  start(): this {
    if (this.startedAt > 0) throw new Error("crowd: already started");
    this.startedAt = Date.now();
    const ramp = this.options.rampMs ?? 0;
    const count = this.options.viewers;
    this.slots = Array.from({ length: count }, (_, slot) =>
      this.runSlot(slot, count > 1 ? (ramp * slot) / count : 0),
    );
    return this;
  }

  /** Stops every viewer; resolves once their last events are posted. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.slots);
  }

  stats(): CrowdStats {
    const viewers = this.viewers.map((viewer) => viewer.stats);
    const totals: CrowdTotals = {
      pages: 0,
      videos: 0,
      repeats: 0,
      completes: 0,
      likes: 0,
      shares: 0,
      follows: 0,
      skips: 0,
      hardSkips: 0,
      sessions: 0,
      feedErrors: 0,
      events: emptyCounts(),
    };
    for (const v of viewers) {
      totals.pages += v.pages.length;
      totals.videos += v.videos;
      totals.repeats += v.repeats;
      totals.completes += v.completes;
      totals.likes += v.likes;
      totals.shares += v.shares;
      totals.follows += v.follows;
      totals.skips += v.skips;
      totals.hardSkips += v.hardSkips;
      totals.sessions += v.sessions;
      totals.feedErrors += v.feedErrors;
      for (const key of Object.keys(totals.events) as (keyof EventCounts)[]) {
        totals.events[key] += v.events[key];
      }
    }
    return {
      elapsedMs: this.startedAt > 0 ? Date.now() - this.startedAt : 0,
      running: this.running,
      chanceShare: 1 / this.topics.length,
      viewers,
      totals,
    };
  }

  /** One seat: a viewer watches until it leaves, then the next one (index + viewers) sits down. */
  private async runSlot(slot: number, delayMs: number): Promise<void> {
    const { signal } = this.abort;
    const o = this.options;
    const seed = o.seed ?? 1;
    await sleep(delayMs, signal);
    for (let index = slot; !signal.aborted; index += o.viewers) {
      const viewer = new SimulatedViewer({
        index,
        region: o.region ?? "eu",
        taste: viewerTaste(seed, index, this.topics),
        client: this.client,
        speed: o.speed ?? 1,
        ...(o.pageLimit !== undefined ? { pageLimit: o.pageLimit } : {}),
        prefetchAt: o.prefetchAt ?? 4,
        maxPages: o.pagesPerViewer ?? Number.POSITIVE_INFINITY,
        flushEveryMs: o.flushEveryMs ?? 400,
        epoch: this.startedAt,
        signal,
      });
      this.viewers.push(viewer);
      try {
        await viewer.run();
      } catch (error) {
        o.onError?.(error, viewer.stats);
        await sleep(RESTART_PAUSE_MS, signal);
      }
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
