import type { Redis } from "@upstash/redis/cloudflare";
import * as v from "valibot";
import {
  CONTROL_ARM,
  type FallbackCause,
  FEED_PAGE_DEFAULT,
  FEED_PAGE_MIN,
  type FeedItem,
  parseForYouMember,
  type SuppressRequest,
} from "../../contracts/feed.schema";
import { CatalogKeys, EdgeKeys } from "../../contracts/keyspace";
import type { SeenFilter } from "../../contracts/seen-filter";
import { VideoIdSchema } from "../../contracts/video.schema";
import { withDeadline } from "../../worker-lib/deadline";
import { metrics } from "../../worker-lib/metrics";
import { type Candidate, hydrateCandidates } from "../../worker-lib/video-card";
import { FeedMeta } from "./feed-meta";
import { FeedMirror, type SeenAddition } from "./feed-mirror";
import { insertRows, migrateFeedStorage } from "./feed-storage";
import type { RankNow } from "./origin-rank";
import { SeenStore } from "./seen-store";

export interface PageRequest {
  userId: string;
  region: string;
  sessionId: string;
  /** The page the cursor points after; null for the first page of a session. */
  after: string | null;
  limit: number;
  /** Trending and exploration items, sent by the Worker after a `need-fallback` answer. */
  fallback?: { items: FeedItem[]; cause: FallbackCause };
}

export type PageResult =
  | {
      kind: "page";
      pageId: string;
      items: FeedItem[];
      fallback: FallbackCause | null;
      /** Set when the Worker should ask the origin to re-rank this user (coalesced here). */
      refresh: FallbackCause | null;
    }
  | { kind: "need-fallback"; cause: FallbackCause };

export interface FeedEngineDeps {
  /** The user this object belongs to (its `idFromName` name). */
  userId: string;
  redis: Redis;
  /** Ranks for the user now; called when `fyp:{user}` has nothing usable. */
  rank: RankNow;
  now?: () => number;
}

const MINUTE_MS = 60_000;
/** Candidates ranked longer ago than this are dropped: the ranker refreshes every 5–15 min. */
export const BUFFER_STALE_MS = 15 * MINUTE_MS;
/**
 * Candidates popped from `fyp:{user}` at a time: three pages. What stays in Redis is replaced by
 * the ranker's next write, which a burst of likes or skips brings within seconds; popping the
 * whole list (it was 200) kept a user on an older ranking for some 25 pages, so a new user's feed
 * showed nothing of their first likes until page 5 (measured with the demo crowd, e2e/crowd.e2e.ts).
 */
const REFILL_BATCH = 24;
/** Pops of one refill at most, when concurrent pages of one user need more than one batch. */
const MAX_REFILL_POPS = 10;
const LOW_WATER_PAGES = 3;
/**
 * Pages of candidates the flush after each page keeps buffered, popping a page or two at a time:
 * a candidate waits two pages between its pop and its page, where batches of 24 popped when the
 * page arrived made it wait two to five (a ranking written after a like shows sooner).
 */
const READ_AHEAD_PAGES = 2;
const REDIS_DEADLINE_MS = 500;
const REFRESH_COALESCE_MS = MINUTE_MS;
/** Pages are kept for replay this long; a cursor older than that starts a fresh page. */
const PAGE_RETENTION_MS = 24 * 60 * MINUTE_MS;
const SUPPRESS_MS = 30 * 24 * 60 * MINUTE_MS;
/**
 * Suppressions kept per user, newest first: each page checks every one, so 9,000 of them took a
 * page from 31 to 88 ms. 500 is more "not interested" than a person taps in a month.
 */
export const MAX_SUPPRESSIONS = 500;
const IMPRESSIONS_MAXLEN = 1_000_000;
const OUTBOX_BATCH = 500;
const OUTBOX_RETRY_MS = 5_000;
const FLUSH_DEADLINE_MS = 2_000;
/**
 * A rank at the edge's request asks for two pages' worth: the user's first events make the
 * ranker write `fyp:{user}` within a second or two, and the pages after those two come from that.
 */
const RANK_LIMIT = 16;
/**
 * Videos served in the last hour are sent as `exclude`: the origin also reads the seen mirror,
 * but that lags a page behind while the outbox flush is in flight.
 */
const RANK_EXCLUDE_WINDOW_MS = 60 * MINUTE_MS;
const RANK_EXCLUDE_MAX = 2_000;
/**
 * After a rank that failed or found nothing, pages go straight to the fallback for this long, so
 * a down origin or an empty region costs one rank deadline per user per half minute, not every
 * page its deadline.
 */
const RANK_RETRY_MS = 30_000;
const RANK_RETRY_AT = "rank_retry_at";
const REFRESH_REQUESTED_AT = "refresh_requested_at";
/** The arm that last ranked for this user: fallback impressions are recorded under it. */
const LAST_ARM = "last_arm";

interface StoredPage {
  items: FeedItem[];
  fallback: FallbackCause | null;
}

/** A candidate ready for the buffer: its card and the A/B arm that ranked it. */
interface RankedItem {
  item: FeedItem;
  arm: string;
}

/**
 * How a rank at the origin went, counted as `feed.rank.{outcome}` in the edge metrics: `empty` is
 * an answer with no live video (a cold-start user in a region the origin knows nothing of).
 */
type RankOutcome = "ok" | "empty" | "failed";

/**
 * The feed logic of one user's UserFeed object, over that object's SQLite storage. Every read and
 * write of feed state happens inside one synchronous block (`assemble`), after all awaits, so
 * concurrent requests interleave only between pages, never inside one.
 */
export class FeedEngine {
  private readonly sql: SqlStorage;
  private readonly meta: FeedMeta;
  private readonly seen: SeenFilter;
  private readonly seenStore: SeenStore;
  private readonly mirror: FeedMirror;
  private readonly redis: Redis;
  private readonly rank: RankNow;
  private readonly now: () => number;
  private refilling: Promise<FallbackCause | null> | null = null;
  private ranking: Promise<void> | null = null;
  /** Page requests waiting on the refill in flight: each needs a page of its own from it. */
  private waiting = 0;
  private flushing: Promise<number> | null = null;
  /** The flush in flight pops candidates: a page that needs them waits for it, not a pop of its own. */
  private readingAhead = false;
  /** The last page asked for: its size is what the read-ahead keeps READ_AHEAD_PAGES of. */
  private lastRequest: PageRequest | null = null;
  private readonly userId: string;

  constructor(
    private readonly storage: DurableObjectStorage,
    deps: FeedEngineDeps,
  ) {
    this.sql = storage.sql;
    this.userId = deps.userId;
    this.redis = deps.redis;
    this.rank = deps.rank;
    this.now = deps.now ?? Date.now;
    migrateFeedStorage(this.sql);
    this.meta = new FeedMeta(this.sql);
    this.seenStore = new SeenStore(this.sql, this.meta);
    this.seen = this.seenStore.filter;
    this.mirror = new FeedMirror(this.sql, this.meta, this.seen, deps.userId);
  }

  /** The page after `request.after`: replayed when it exists, otherwise built and committed. */
  async page(request: PageRequest): Promise<PageResult> {
    const replayed = this.replay(request.after);
    if (replayed) return replayed;
    let cause = request.fallback ? request.fallback.cause : await this.ensureBuffer(request);
    let result = this.storage.transactionSync(() => this.assemble(request, cause));
    if (result.kind === "need-fallback" && !request.fallback && cause === null) {
      // The buffer counted a page, but seen or suppressed videos in it left the page short.
      cause = await this.ensureBuffer(request, true);
      result = this.storage.transactionSync(() => this.assemble(request, cause));
    }
    if (result.kind === "page" && result.items.length > 0) void this.flush();
    return result;
  }

  /** Makes every following page skip this creator, sound or video for 30 days (newest 500 kept). */
  suppress(request: SuppressRequest): void {
    const until = this.now() + SUPPRESS_MS;
    const seq = this.mirror.nextSuppressionSeq();
    for (const [kind, value] of Object.entries(request)) {
      if (typeof value !== "string" || value === "") continue;
      this.sql.exec(
        "INSERT OR REPLACE INTO suppressed (kind, value, until, seq) VALUES (?, ?, ?, ?)",
        kind,
        value,
        until,
        seq,
      );
    }
    // The oldest past the cap end now: marked expired, so the next flush removes them from the
    // Redis mirror too and then from here.
    this.sql.exec(
      `UPDATE suppressed SET until = 0 WHERE rowid IN
         (SELECT rowid FROM suppressed WHERE until > 0 ORDER BY seq DESC, rowid DESC
          LIMIT -1 OFFSET ?)`,
      MAX_SUPPRESSIONS,
    );
    void this.flush();
  }

  /**
   * Writes what committed pages and suppressions left for Redis: impressions to the `impressions`
   * stream and the seen/suppressed mirror. Returns how many impressions were written.
   */
  flush(): Promise<number> {
    this.flushing ??= this.flushPending().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private replay(after: string | null): PageResult | null {
    if (after === null) return null;
    const row = this.sql
      .exec<{ id: string; body: string }>("SELECT id, body FROM pages WHERE after = ?", after)
      .toArray()[0];
    if (!row) return null;
    const stored = JSON.parse(row.body) as StoredPage;
    return { kind: "page", pageId: row.id, ...stored, refresh: null };
  }

  /**
   * Tops the buffer up when it holds less than a page (or always, `short`: it held too few usable
   * ones); returns why it could not.
   */
  private async ensureBuffer(request: PageRequest, short = false): Promise<FallbackCause | null> {
    const fresh = this.freshCount();
    this.lastRequest = request;
    // A page's worth is enough to answer now: the flush after it tops the buffer up (readAhead).
    if (fresh >= request.limit && !short) return null;
    if (this.flushing && this.readingAhead) {
      await this.flushing;
      if (!short) return this.ensureBuffer(request);
    }
    this.refilling ??= this.refill(request, fresh).finally(() => {
      this.refilling = null;
    });
    this.waiting++;
    try {
      return await this.refilling;
    } finally {
      this.waiting--;
    }
  }

  /**
   * From `fyp:{user}` first, popping until every waiting page and the low-water mark are covered
   * or the list runs out; when it has nothing usable, the origin ranks for the next page.
   */
  private async refill(request: PageRequest, buffered: number): Promise<FallbackCause | null> {
    const ranked: RankedItem[] = [];
    try {
      for (let pops = 0; pops < MAX_REFILL_POPS; pops++) {
        const { items, exhausted } = await this.popForYou();
        ranked.push(...items);
        const wanted = (this.waiting + LOW_WATER_PAGES) * request.limit;
        if (exhausted || buffered + ranked.length >= wanted) break;
      }
    } catch {
      if (ranked.length === 0) return "redis_unreachable";
    }
    if (ranked.length === 0) {
      this.rankInBackground(request);
      return "fyp_empty";
    }
    this.buffer(ranked);
    return null;
  }

  /**
   * Asks the origin to rank while this page is served from the fallback: the answer fills the
   * buffer for the next page. A new user's first page waited up to the rank's 300 ms deadline
   * for it (20 new users at once: 1.9 s), and a fallback page is what a failed rank gave anyway.
   */
  private rankInBackground(request: PageRequest): void {
    this.ranking ??= this.rankNow(request)
      .then((ranked) => this.buffer(ranked))
      .finally(() => {
        this.ranking = null;
      });
  }

  private buffer(ranked: readonly RankedItem[]): void {
    const top = ranked[0];
    if (!top) return;
    const fetchedAt = this.now();
    insertRows(
      this.sql,
      "INSERT OR IGNORE INTO buffer (id, card, fetched_at, arm)",
      ranked.map(({ item, arm }) => [item.id, JSON.stringify(item), fetchedAt, arm]),
    );
    this.meta.setText(LAST_ARM, top.arm);
  }

  /**
   * How many candidates the next flush pops: enough to hold READ_AHEAD_PAGES pages again, and at
   * least a page (some are dropped as seen or suppressed); 0 while that many are buffered.
   */
  private readAheadCount(): number {
    if (this.refilling) return 0;
    const fresh = this.freshCount();
    const limit = this.lastRequest?.limit ?? FEED_PAGE_DEFAULT;
    const wanted = READ_AHEAD_PAGES * limit;
    return fresh >= wanted ? 0 : Math.max(limit, wanted - fresh);
  }

  /** Buffered candidates young enough to serve. */
  private freshCount(): number {
    return this.sql
      .exec<{ n: number }>(
        "SELECT COUNT(*) AS n FROM buffer WHERE fetched_at >= ?",
        this.now() - BUFFER_STALE_MS,
      )
      .one().n;
  }

  private async popForYou(): Promise<{ items: RankedItem[]; exhausted: boolean }> {
    // ZPOPMAX hands each candidate to this object exactly once; the ranker rewrites the set.
    const popped = await withDeadline(
      this.redis.zpopmax<string | number>(CatalogKeys.forYou(this.userId), REFILL_BATCH),
      REDIS_DEADLINE_MS,
      "fyp refill",
    );
    return this.hydratePopped(popped);
  }

  /** ZPOPMAX's flat [member, score, …] reply as buffered candidates. */
  private async hydratePopped(
    popped: readonly unknown[],
  ): Promise<{ items: RankedItem[]; exhausted: boolean }> {
    const items = await this.hydrate(
      popped
        .filter((_, i) => i % 2 === 0)
        .flatMap((member) => parseForYouMember(String(member)) ?? []),
    );
    return { items, exhausted: popped.length < 2 * REFILL_BATCH };
  }

  /**
   * Asks the origin to rank now. Never rejects: a failed, late, malformed or empty answer is
   * counted and leaves the page to the fallback.
   */
  private async rankNow(request: PageRequest): Promise<RankedItem[]> {
    const asked = this.now();
    if (asked < (this.meta.get(RANK_RETRY_AT) ?? 0)) return [];
    let ranked: RankedItem[] = [];
    let outcome: RankOutcome;
    try {
      const answer = await this.rank({
        user_id: request.userId,
        region: request.region,
        limit: RANK_LIMIT,
        recent: [],
        exclude: this.recentlyShown(asked),
      });
      ranked = await this.hydrate(
        answer.items.map((item) => ({ id: item.video_id, reason: item.reason, arm: answer.arm })),
      );
      outcome = ranked.length > 0 ? "ok" : "empty";
    } catch (error) {
      console.warn("feed: rank failed", error instanceof Error ? error.message : error);
      outcome = "failed";
    }
    this.countRank(outcome);
    if (outcome !== "ok") this.meta.set(RANK_RETRY_AT, asked + RANK_RETRY_MS);
    return ranked;
  }

  /** Ids in the buffer and on pages of the last hour, newest pages first. */
  private recentlyShown(now: number): string[] {
    const ids = new Set<string>();
    for (const row of this.sql.exec<{ id: string }>("SELECT id FROM buffer ORDER BY pos")) {
      ids.add(row.id);
    }
    for (const row of this.sql.exec<{ body: string }>(
      "SELECT body FROM pages WHERE created_at >= ? ORDER BY created_at DESC",
      now - RANK_EXCLUDE_WINDOW_MS,
    )) {
      if (ids.size >= RANK_EXCLUDE_MAX) break;
      for (const item of (JSON.parse(row.body) as StoredPage).items) ids.add(item.id);
    }
    // The fallback's ids come from trending as stored; the origin rejects a request with a bad one.
    return [...ids].filter((id) => v.is(VideoIdSchema, id)).slice(0, RANK_EXCLUDE_MAX);
  }

  private async hydrate(
    candidates: readonly (Candidate & { arm: string })[],
  ): Promise<RankedItem[]> {
    const arms = new Map(candidates.map((candidate) => [candidate.id, candidate.arm]));
    const items = await withDeadline(
      hydrateCandidates(this.redis, candidates),
      REDIS_DEADLINE_MS,
      "catalog read",
    );
    return items.map((item) => ({ item, arm: arms.get(item.id) ?? CONTROL_ARM }));
  }

  private countRank(outcome: RankOutcome): void {
    metrics.count(`feed.rank.${outcome}`);
    // This object's isolate may never serve a Worker request that flushes its counters.
    if (!metrics.flushDue()) return;
    metrics.flush(this.redis).catch((error: unknown) => {
      console.warn("metrics: flush failed", error instanceof Error ? error.message : error);
    });
  }

  private assemble(request: PageRequest, cause: FallbackCause | null): PageResult {
    // A concurrent request with the same cursor may have committed while this one awaited.
    const replayed = this.replay(request.after);
    if (replayed) return replayed;
    const now = this.now();
    const skip = this.skipper(now);
    this.sql.exec("DELETE FROM buffer WHERE fetched_at < ?", now - BUFFER_STALE_MS);

    const items: FeedItem[] = [];
    const arms = new Map<string, string>();
    // The buffer is read in rank order, so what a page consumes is always a prefix of it.
    let consumedUpTo: number | null = null;
    for (const row of this.sql.exec<{ pos: number; card: string; arm: string }>(
      "SELECT pos, card, arm FROM buffer ORDER BY pos",
    )) {
      if (items.length >= request.limit) break;
      consumedUpTo = row.pos;
      const item = JSON.parse(row.card) as FeedItem;
      if (arms.has(item.id) || skip(item)) continue;
      items.push(item);
      arms.set(item.id, row.arm);
    }

    let usedFallback = false;
    if (items.length < request.limit) {
      // Nothing is consumed yet: the call that brings the fallback takes the same prefix.
      if (!request.fallback) return { kind: "need-fallback", cause: cause ?? "fyp_empty" };
      const pool = request.fallback.items;
      const before = items.length;
      const taken = new Set(arms.keys());
      fill(items, taken, pool, request.limit, skip);
      // Never blank: when every fallback video has been seen, repeat rather than show nothing.
      if (items.length < FEED_PAGE_MIN) fill(items, taken, pool, request.limit, skip.suppressed);
      usedFallback = items.length > before;
    }
    if (consumedUpTo !== null) this.sql.exec("DELETE FROM buffer WHERE pos <= ?", consumedUpTo);

    const fallback = usedFallback ? (cause ?? "fyp_empty") : null;
    const pageId = crypto.randomUUID();
    // Fallback videos were ranked by no one: they count for the arm the user was last ranked by.
    const fallbackArm = this.meta.text(LAST_ARM) ?? CONTROL_ARM;
    const armOf = (item: FeedItem) => arms.get(item.id) ?? fallbackArm;
    this.commit(request, pageId, { items, fallback }, armOf, now);
    return { kind: "page", pageId, items, fallback, refresh: this.refreshDue(fallback, now) };
  }

  private commit(
    request: PageRequest,
    pageId: string,
    page: StoredPage,
    armOf: (item: FeedItem) => string,
    now: number,
  ): void {
    let rotated = false;
    const added: SeenAddition[] = [];
    for (const item of page.items) {
      rotated = this.seen.add(item.id, now) || rotated;
      added.push({ generation: this.seen.generations[0]!.startedAt, id: item.id });
    }
    this.mirror.seenAdded(added);
    const { rowid } = this.sql
      .exec<{ rowid: number }>(
        "INSERT INTO pages (id, after, session_id, body, created_at) VALUES (?, ?, ?, ?, ?) RETURNING rowid",
        pageId,
        request.after,
        request.sessionId,
        JSON.stringify(page),
        now,
      )
      .one();
    this.seenStore.pageCommitted(rowid, rotated);
    this.sql.exec("DELETE FROM pages WHERE created_at < ?", now - PAGE_RETENTION_MS);
    if (page.items.length === 0) return;
    const impressions = page.items.map((item, position) => [
      JSON.stringify({
        user_id: request.userId,
        video_id: item.id,
        session_id: request.sessionId,
        page_id: pageId,
        position: String(position),
        reason: item.reason,
        arm: armOf(item),
        ts: String(now),
      }),
    ]);
    insertRows(this.sql, "INSERT INTO outbox (fields)", impressions);
  }

  private refreshDue(cause: FallbackCause | null, now: number): FallbackCause | null {
    if (cause === null) return null;
    const last = this.meta.get(REFRESH_REQUESTED_AT) ?? 0;
    if (now - last < REFRESH_COALESCE_MS) return null;
    this.meta.set(REFRESH_REQUESTED_AT, now);
    return cause;
  }

  /** A predicate for videos the page must not show: seen or suppressed (`.suppressed` alone). */
  private skipper(now: number): ((item: FeedItem) => boolean) & {
    suppressed: (item: FeedItem) => boolean;
  } {
    const rows = this.sql
      .exec<{ kind: string; value: string }>(
        "SELECT kind, value FROM suppressed WHERE until > ?",
        now,
      )
      .toArray();
    const blocked = new Set(rows.map((row) => `${row.kind}\u0000${row.value}`));
    const suppressed = (item: FeedItem) =>
      blocked.has(`video_id\u0000${item.id}`) ||
      blocked.has(`creator_id\u0000${item.creator_id}`) ||
      blocked.has(`audio_id\u0000${item.audio_id}`);
    return Object.assign((item: FeedItem) => suppressed(item) || this.seen.has(item.id, now), {
      suppressed,
    });
  }

  /**
   * One MULTI per batch: up to OUTBOX_BATCH impressions plus whatever the mirror has pending, so
   * a page costs no extra round trip and a rotating mirror is never seen half-written. The first
   * batch also pops the next candidates when the buffer runs low: the read the next page would
   * otherwise make on its own path rides on the write this page makes anyway, so a warm page
   * costs one Redis round trip, after its answer.
   */
  private async flushPending(): Promise<number> {
    let written = 0;
    for (let batch = 0; ; batch++) {
      const rows = this.sql
        .exec<{ seq: number; fields: string }>(
          "SELECT seq, fields FROM outbox ORDER BY seq LIMIT ?",
          OUTBOX_BATCH,
        )
        .toArray();
      const mirror = this.mirror.pending(this.now());
      const readAhead = batch === 0 ? this.readAheadCount() : 0;
      const last = rows.at(-1);
      if (!last && !mirror && !readAhead) return written;
      const tx = this.redis.multi();
      for (const row of rows) {
        tx.xadd(EdgeKeys.impressions, "*", JSON.parse(row.fields) as Record<string, string>, {
          trim: { type: "MAXLEN", threshold: IMPRESSIONS_MAXLEN, comparison: "~" },
        });
      }
      mirror?.queue(tx);
      if (readAhead > 0) tx.zpopmax(CatalogKeys.forYou(this.userId), readAhead);
      this.readingAhead = readAhead > 0;
      let replies: unknown[];
      try {
        replies = await withDeadline(
          tx.exec<unknown[]>(),
          FLUSH_DEADLINE_MS,
          "impressions and mirror",
        );
      } catch {
        // Kept in SQLite; the alarm retries, so nothing committed is lost.
        this.readingAhead = false;
        await this.storage.setAlarm(this.now() + OUTBOX_RETRY_MS);
        return written;
      }
      if (last) this.sql.exec("DELETE FROM outbox WHERE seq <= ?", last.seq);
      mirror?.commit();
      written += rows.length;
      if (readAhead > 0) await this.bufferReadAhead(replies.at(-1));
    }
  }

  private async bufferReadAhead(popped: unknown): Promise<void> {
    try {
      const { items } = await this.hydratePopped(Array.isArray(popped) ? popped : []);
      this.buffer(items);
      // `fyp:{user}` ran dry before the ranker's next write: the origin ranks now, so the pages
      // after the buffered ones are ranked too, not the fallback's.
      if (items.length === 0 && this.lastRequest) this.rankInBackground(this.lastRequest);
    } catch (error) {
      // Popped but not hydrated: lost to this user until the ranker's next write, like a pop
      // whose answer never came back.
      console.warn("feed: read-ahead failed", error instanceof Error ? error.message : error);
    } finally {
      this.readingAhead = false;
    }
  }
}

function fill(
  items: FeedItem[],
  taken: Set<string>,
  pool: readonly FeedItem[],
  limit: number,
  skip: (item: FeedItem) => boolean,
): void {
  for (const item of pool) {
    if (items.length >= limit) return;
    if (taken.has(item.id) || skip(item)) continue;
    items.push(item);
    taken.add(item.id);
  }
}
