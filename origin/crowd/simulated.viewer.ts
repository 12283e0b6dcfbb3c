import { randomUUID } from "node:crypto";
import type { FallbackCause, FeedItem, FeedReason } from "../../contracts/feed.schema";
import { type EdgeClient, EdgeError } from "./edge.client";
import { EventBatcher, type EventCounts, emptyCounts, type Report } from "./event.batcher";
import { react, topicOf, unit, type ViewerTaste } from "./viewer.taste";

/** One feed page as a simulated viewer received it. */
export interface PageRecord {
  /** 1-based, per viewer. */
  page: number;
  /** ms since the crowd started. */
  at: number;
  size: number;
  /** Items of the viewer's favourite topic. */
  favourite: number;
  share: number;
  topics: (string | null)[];
  reasons: Partial<Record<FeedReason, number>>;
  fallback: FallbackCause | null;
}

export interface ViewerStats {
  index: number;
  /** The id the edge minted at the viewer's first sign-in; empty before it. */
  userId: string;
  favourite: string;
  pages: PageRecord[];
  videos: number;
  /** Videos shown that this viewer had been shown before. */
  repeats: number;
  completes: number;
  likes: number;
  shares: number;
  follows: number;
  hardSkips: number;
  skips: number;
  sessions: number;
  /** Feed requests that failed (503 while the catalog is empty, network errors). */
  feedErrors: number;
  events: EventCounts;
  rejections: string[];
  done: boolean;
}

export interface ViewerOptions {
  index: number;
  region: string;
  taste: ViewerTaste;
  client: EdgeClient;
  /** Simulated time runs this many times faster than the wall clock. */
  speed: number;
  /** Feed page size asked for; the edge's default when absent. */
  pageLimit?: number;
  /** The next page is asked for when this many videos are left, as the web app does. */
  prefetchAt: number;
  /** The viewer leaves after this many pages. */
  maxPages: number;
  flushEveryMs: number;
  /** The crowd's start, for PageRecord.at. */
  epoch: number;
  signal: AbortSignal;
}

/** The web app's progress cadence (web/src/view-tracker.ts). */
const PROGRESS_EVERY_MS = 5_000;
const REF_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_MS = 3_600_000;

/**
 * One simulated person with the web app's habits: signs in, pages through the feed (asking for the
 * next page while a few videos are left), and reports what it does with each video in the app's
 * event vocabulary and order (impression, play, progress, complete, replay, like, share, follow,
 * skip), batched through the real `POST /v1/events`.
 */
export class SimulatedViewer {
  readonly stats: ViewerStats;
  private token = "";
  private refreshToken = "";
  private cursor: string | null = null;
  private readonly items: FeedItem[] = [];
  private position = 0;
  private fetching: Promise<void> | null = null;
  private readonly seen = new Set<string>();
  private readonly following = new Set<string>();
  private readonly batcher: EventBatcher;

  constructor(private readonly o: ViewerOptions) {
    this.stats = {
      index: o.index,
      userId: "",
      favourite: o.taste.favourite,
      pages: [],
      videos: 0,
      repeats: 0,
      completes: 0,
      likes: 0,
      shares: 0,
      follows: 0,
      hardSkips: 0,
      skips: 0,
      sessions: 0,
      feedErrors: 0,
      events: emptyCounts(),
      rejections: [],
      done: false,
    };
    this.batcher = new EventBatcher({
      post: (events) => this.o.client.postEvents(this.token, events),
      renewSession: () => this.signIn(),
      // Dedupe is per user for an hour: a restarted crowd's viewer must not reuse its ids.
      idPrefix: `v${o.index}-${randomUUID().slice(0, 8)}`,
      counts: this.stats.events,
      rejections: this.stats.rejections,
    });
  }

  /** Watches until the crowd stops or the viewer has had `maxPages` pages; flushes what is left. */
  async run(): Promise<void> {
    const timer = setInterval(() => void this.batcher.flush(), this.o.flushEveryMs);
    try {
      while (!this.o.signal.aborted) {
        if (this.items.length - this.position <= this.o.prefetchAt && !this.exhausted) {
          this.prefetch();
        }
        const item = this.items[this.position];
        if (!item) {
          if (this.exhausted) break;
          await this.fetching;
          continue;
        }
        this.position++;
        await this.watch(item);
      }
    } catch (error) {
      if (!this.o.signal.aborted) throw error;
    } finally {
      clearInterval(timer);
      await this.drain();
      this.stats.done = true;
    }
  }

  private get exhausted(): boolean {
    return this.stats.pages.length >= this.o.maxPages;
  }

  /** The first time a new anonymous viewer; after that the same viewer's next session. */
  private async signIn(): Promise<void> {
    const { client } = this.o;
    const session = this.refreshToken
      ? await client.refreshSession(this.refreshToken)
      : await client.createSession(this.o.region);
    this.token = session.token;
    this.refreshToken = session.refresh_token;
    this.stats.userId = session.user_id;
    this.stats.sessions++;
  }

  private prefetch(): void {
    this.fetching ??= this.fetchPage().finally(() => {
      this.fetching = null;
    });
  }

  /** One page; on failure waits (1 s doubling to 15 s, in simulated time) and lets run() retry. */
  private async fetchPage(): Promise<void> {
    let delay = 1_000;
    while (!this.o.signal.aborted) {
      try {
        if (!this.token) await this.signIn();
        const page = await this.o.client.feedPage(this.token, this.cursor, this.o.pageLimit);
        this.cursor = page.next_cursor;
        this.items.push(...page.items);
        this.record(page.items, page.fallback);
        return;
      } catch (error) {
        if (error instanceof EdgeError && error.status === 401 && this.token) {
          this.token = "";
          continue;
        }
        this.stats.feedErrors++;
        await this.pause(delay * this.o.speed);
        delay = Math.min(delay * 2, 15_000);
      }
    }
  }

  private record(items: FeedItem[], fallback: FallbackCause | null): void {
    const topics = items.map((item) => topicOf(item, this.o.taste) ?? null);
    const favourite = topics.filter((topic) => topic === this.o.taste.favourite).length;
    const reasons: Partial<Record<FeedReason, number>> = {};
    for (const item of items) reasons[item.reason] = (reasons[item.reason] ?? 0) + 1;
    this.stats.pages.push({
      page: this.stats.pages.length + 1,
      at: Date.now() - this.o.epoch,
      size: items.length,
      favourite,
      share: items.length > 0 ? favourite / items.length : 0,
      topics,
      reasons,
      fallback,
    });
  }

  private async watch(item: FeedItem): Promise<void> {
    const { stats } = this;
    stats.videos++;
    if (this.seen.has(item.id)) stats.repeats++;
    this.seen.add(item.id);
    const reaction = react(this.o.taste, item);
    const draw = (what: string) => unit(`${this.o.taste.salt}:video:${item.id}:${what}`);
    const base = { video_id: item.id, ...refs(item) };
    const duration = item.duration_ms > 0 ? item.duration_ms : reaction.watchMs;
    const emit = (report: Report) => this.batcher.push(report);
    emit({ type: "impression", ...base });
    // Time to first frame, then the watch.
    await this.pause(80 + 150 * draw("first-frame"));
    emit({ type: "play", ...base });
    if (!reaction.completed) {
      await this.pause(reaction.watchMs);
      const reported = Math.floor(reaction.watchMs / PROGRESS_EVERY_MS) * PROGRESS_EVERY_MS;
      if (reported === 0) {
        emit({ type: "skip", ...base, watch_ms: reaction.watchMs });
      } else {
        emit(progress(base, reaction.watchMs, reaction.watchMs, duration));
        emit({ type: "skip", ...base });
      }
      stats.skips++;
      if (reaction.watchMs < 1_000) stats.hardSkips++;
    } else {
      // Buttons are tapped while the video plays, before its end.
      await this.pause(duration * (0.5 + 0.3 * draw("tap-at")));
      if (reaction.like) {
        emit({ type: "like", ...base });
        stats.likes++;
      }
      if (reaction.share) {
        emit({ type: "share", ...base });
        stats.shares++;
      }
      if (reaction.follow && base.creator_id && !this.following.has(base.creator_id)) {
        this.following.add(base.creator_id);
        emit({ type: "follow", ...base, creator_id: base.creator_id });
        stats.follows++;
      }
      await this.pause(duration * (0.2 + 0.3 * (1 - draw("tap-at"))));
      emit(progress(base, duration, duration, duration));
      emit({ type: "complete", ...base });
      stats.completes++;
      // The app loops a finished video, reporting each restart as a replay.
      for (let loop = 0; loop < reaction.replays; loop++) {
        emit({ type: "replay", ...base });
        await this.pause(duration);
        emit(progress(base, duration, duration, duration));
      }
      emit({ type: "replay", ...base });
      const tail = Math.round(600 * draw("tail"));
      await this.pause(tail);
      if (tail > 0) emit(progress(base, tail, tail, duration));
    }
    // The swipe to the next video.
    await this.pause(150 + 300 * draw("swipe"));
  }

  /** Waits `ms` of simulated time; returns early when the crowd stops. */
  private pause(ms: number): Promise<void> {
    const { signal, speed } = this.o;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms / speed);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Posts what is still queued, one batch at a time, giving up after a few failed rounds. */
  private async drain(): Promise<void> {
    for (let round = 0; round < 20 && this.batcher.pending > 0; round++) {
      await this.batcher.flush();
      if (this.batcher.pending > 0) await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function refs(item: FeedItem): { creator_id?: string; audio_id?: string } {
  return {
    ...(REF_ID.test(item.creator_id) ? { creator_id: item.creator_id } : {}),
    ...(REF_ID.test(item.audio_id) ? { audio_id: item.audio_id } : {}),
  };
}

function progress(
  base: { video_id: string; creator_id?: string; audio_id?: string },
  watchMs: number,
  positionMs: number,
  durationMs: number,
): Report {
  return {
    type: "progress",
    ...base,
    watch_ms: Math.min(Math.round(watchMs), MAX_MS),
    position_ms: Math.min(Math.round(positionMs), MAX_MS),
    duration_ms: Math.min(Math.round(durationMs), MAX_MS),
  };
}
