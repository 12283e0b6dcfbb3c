import type { Redis } from "@upstash/redis/cloudflare";
import { BloomFilter } from "../../contracts/bloom-filter";
import {
  type FallbackCause,
  FEED_PAGE_MIN,
  type FeedItem,
  FeedKeys,
  parseForYouMember,
  type SuppressRequest,
} from "../../contracts/feed.schema";
import { SeenFilter, type SeenGeneration } from "../../contracts/seen-filter";
import { CatalogKeys } from "../../contracts/video.schema";
import { withDeadline } from "../../edge/feed/deadline";
import { type Candidate, hydrateCandidates } from "../../edge/feed/video-card";

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

const MINUTE_MS = 60_000;
/** Candidates ranked longer ago than this are dropped: the ranker refreshes every 5–15 min. */
export const BUFFER_STALE_MS = 15 * MINUTE_MS;
const REFILL_BATCH = 200;
const LOW_WATER_PAGES = 3;
const REDIS_DEADLINE_MS = 500;
const REFRESH_COALESCE_MS = MINUTE_MS;
/** Pages are kept for replay this long; a cursor older than that starts a fresh page. */
const PAGE_RETENTION_MS = 24 * 60 * MINUTE_MS;
const SUPPRESS_MS = 30 * 24 * 60 * MINUTE_MS;
const IMPRESSIONS_MAXLEN = 1_000_000;
const OUTBOX_BATCH = 500;
const OUTBOX_RETRY_MS = 5_000;

interface StoredPage {
  items: FeedItem[];
  fallback: FallbackCause | null;
}

/**
 * The feed logic of one user's UserFeed object, over that object's SQLite storage. Every read and
 * write of feed state happens inside one synchronous block (`assemble`), after all awaits, so
 * concurrent requests interleave only between pages, never inside one.
 */
export class FeedEngine {
  private readonly sql: SqlStorage;
  private readonly seen: SeenFilter;
  private refilling: Promise<FallbackCause | null> | null = null;
  private flushing: Promise<number> | null = null;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly redis: Redis,
    private readonly now: () => number = Date.now,
  ) {
    this.sql = storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS buffer (
        pos INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        card TEXT NOT NULL,
        fetched_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS pages (
        id TEXT PRIMARY KEY,
        after TEXT UNIQUE,
        session_id TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS pages_created_at ON pages (created_at);
      CREATE TABLE IF NOT EXISTS seen (
        started_at INTEGER PRIMARY KEY,
        count INTEGER NOT NULL,
        bits BLOB NOT NULL
      );
      CREATE TABLE IF NOT EXISTS suppressed (
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        until INTEGER NOT NULL,
        PRIMARY KEY (kind, value)
      );
      CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, fields TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `);
    this.seen = new SeenFilter(this.loadSeen());
  }

  /** The page after `request.after`: replayed when it exists, otherwise built and committed. */
  async page(request: PageRequest): Promise<PageResult> {
    const replayed = this.replay(request.after);
    if (replayed) return replayed;
    const cause = request.fallback
      ? request.fallback.cause
      : await this.ensureBuffer(request.userId, request.limit);
    const result = this.storage.transactionSync(() => this.assemble(request, cause));
    if (result.kind === "page" && result.items.length > 0) void this.flushImpressions();
    return result;
  }

  /** Makes every following page skip this creator, sound or video for 30 days. */
  suppress(request: SuppressRequest): void {
    const until = this.now() + SUPPRESS_MS;
    for (const [kind, value] of Object.entries(request)) {
      if (typeof value !== "string" || value === "") continue;
      this.sql.exec(
        "INSERT OR REPLACE INTO suppressed (kind, value, until) VALUES (?, ?, ?)",
        kind,
        value,
        until,
      );
    }
  }

  /** Appends committed impressions to the `impressions` stream; returns how many were written. */
  flushImpressions(): Promise<number> {
    this.flushing ??= this.flushOutbox().finally(() => {
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

  /** Tops the buffer up from `fyp:{user}` when it runs low; returns why it could not. */
  private async ensureBuffer(userId: string, limit: number): Promise<FallbackCause | null> {
    const fresh = this.sql
      .exec<{ n: number }>(
        "SELECT COUNT(*) AS n FROM buffer WHERE fetched_at >= ?",
        this.now() - BUFFER_STALE_MS,
      )
      .one().n;
    if (fresh >= LOW_WATER_PAGES * limit) return null;
    this.refilling ??= this.refill(userId).finally(() => {
      this.refilling = null;
    });
    return this.refilling;
  }

  private async refill(userId: string): Promise<FallbackCause | null> {
    let candidates: Candidate[];
    let items: FeedItem[];
    try {
      // ZPOPMAX hands each candidate to this object exactly once; the ranker rewrites the set.
      const popped = await withDeadline(
        this.redis.zpopmax<string | number>(CatalogKeys.forYou(userId), REFILL_BATCH),
        REDIS_DEADLINE_MS,
        "fyp refill",
      );
      candidates = popped
        .filter((_, i) => i % 2 === 0)
        .flatMap((member) => parseForYouMember(String(member)) ?? []);
      items = await withDeadline(
        hydrateCandidates(this.redis, candidates),
        REDIS_DEADLINE_MS,
        "catalog read",
      );
    } catch {
      return "redis_unreachable";
    }
    const fetchedAt = this.now();
    for (const item of items) {
      this.sql.exec(
        "INSERT OR IGNORE INTO buffer (id, card, fetched_at) VALUES (?, ?, ?)",
        item.id,
        JSON.stringify(item),
        fetchedAt,
      );
    }
    return items.length > 0 ? null : "fyp_empty";
  }

  private assemble(request: PageRequest, cause: FallbackCause | null): PageResult {
    // A concurrent request with the same cursor may have committed while this one awaited.
    const replayed = this.replay(request.after);
    if (replayed) return replayed;
    const now = this.now();
    const skip = this.skipper(now);
    this.sql.exec("DELETE FROM buffer WHERE fetched_at < ?", now - BUFFER_STALE_MS);

    const items: FeedItem[] = [];
    const taken = new Set<string>();
    // The buffer is read in rank order, so what a page consumes is always a prefix of it.
    let consumedUpTo: number | null = null;
    for (const row of this.sql.exec<{ pos: number; card: string }>(
      "SELECT pos, card FROM buffer ORDER BY pos",
    )) {
      if (items.length >= request.limit) break;
      consumedUpTo = row.pos;
      const item = JSON.parse(row.card) as FeedItem;
      if (taken.has(item.id) || skip(item)) continue;
      items.push(item);
      taken.add(item.id);
    }

    let usedFallback = false;
    if (items.length < request.limit) {
      // Nothing is consumed yet: the call that brings the fallback takes the same prefix.
      if (!request.fallback) return { kind: "need-fallback", cause: cause ?? "fyp_empty" };
      const pool = request.fallback.items;
      const before = items.length;
      fill(items, taken, pool, request.limit, skip);
      // Never blank: when every fallback video has been seen, repeat rather than show nothing.
      if (items.length < FEED_PAGE_MIN) fill(items, taken, pool, request.limit, skip.suppressed);
      usedFallback = items.length > before;
    }
    if (consumedUpTo !== null) this.sql.exec("DELETE FROM buffer WHERE pos <= ?", consumedUpTo);

    const fallback = usedFallback ? (cause ?? "fyp_empty") : null;
    const pageId = crypto.randomUUID();
    this.commit(request, pageId, { items, fallback }, now);
    return { kind: "page", pageId, items, fallback, refresh: this.refreshDue(fallback, now) };
  }

  private commit(request: PageRequest, pageId: string, page: StoredPage, now: number): void {
    let rotated = false;
    for (const item of page.items) rotated = this.seen.add(item.id, now) || rotated;
    this.saveSeen(rotated);
    this.sql.exec(
      "INSERT INTO pages (id, after, session_id, body, created_at) VALUES (?, ?, ?, ?, ?)",
      pageId,
      request.after,
      request.sessionId,
      JSON.stringify(page),
      now,
    );
    this.sql.exec("DELETE FROM pages WHERE created_at < ?", now - PAGE_RETENTION_MS);
    page.items.forEach((item, position) => {
      this.sql.exec(
        "INSERT INTO outbox (fields) VALUES (?)",
        JSON.stringify({
          user_id: request.userId,
          video_id: item.id,
          session_id: request.sessionId,
          page_id: pageId,
          position: String(position),
          reason: item.reason,
          ts: String(now),
        }),
      );
    });
  }

  private refreshDue(cause: FallbackCause | null, now: number): FallbackCause | null {
    if (cause === null) return null;
    const last = this.meta("refresh_requested_at") ?? 0;
    if (now - last < REFRESH_COALESCE_MS) return null;
    this.setMeta("refresh_requested_at", now);
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

  private async flushOutbox(): Promise<number> {
    let written = 0;
    for (;;) {
      const rows = this.sql
        .exec<{ seq: number; fields: string }>(
          "SELECT seq, fields FROM outbox ORDER BY seq LIMIT ?",
          OUTBOX_BATCH,
        )
        .toArray();
      const last = rows.at(-1);
      if (!last) return written;
      const pipeline = this.redis.pipeline();
      for (const row of rows) {
        pipeline.xadd(FeedKeys.impressions, "*", JSON.parse(row.fields) as Record<string, string>, {
          trim: { type: "MAXLEN", threshold: IMPRESSIONS_MAXLEN, comparison: "~" },
        });
      }
      try {
        await withDeadline(pipeline.exec(), 2_000, "impressions");
      } catch {
        // Kept in the outbox; the alarm retries, so no committed impression is lost.
        await this.storage.setAlarm(this.now() + OUTBOX_RETRY_MS);
        return written;
      }
      this.sql.exec("DELETE FROM outbox WHERE seq <= ?", last.seq);
      written += rows.length;
    }
  }

  private loadSeen(): SeenGeneration[] {
    return this.sql
      .exec<{ started_at: number; count: number; bits: ArrayBuffer }>(
        "SELECT started_at, count, bits FROM seen ORDER BY started_at DESC",
      )
      .toArray()
      .map((row) => ({
        startedAt: row.started_at,
        count: row.count,
        filter: new BloomFilter(new Uint8Array(row.bits)),
      }));
  }

  private saveSeen(all: boolean): void {
    if (all) this.sql.exec("DELETE FROM seen");
    const generations = all ? this.seen.generations : this.seen.generations.slice(0, 1);
    for (const generation of generations) {
      this.sql.exec(
        "INSERT OR REPLACE INTO seen (started_at, count, bits) VALUES (?, ?, ?)",
        generation.startedAt,
        generation.count,
        generation.filter.bits,
      );
    }
  }

  private meta(key: string): number | null {
    const row = this.sql
      .exec<{ value: number }>("SELECT value FROM meta WHERE key = ?", key)
      .toArray()[0];
    return row?.value ?? null;
  }

  private setMeta(key: string, value: number): void {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, value);
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
