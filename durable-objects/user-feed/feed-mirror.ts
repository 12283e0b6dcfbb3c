import type { Redis } from "@upstash/redis/cloudflare";
import {
  encodeGeneration,
  RETENTION_MS,
  type SeenFilter,
  SeenKeys,
} from "../../contracts/seen-filter";
import type { FeedMeta } from "./feed-meta";

/** The transaction a flush queues its commands on (`redis.multi()`). */
export type RedisTransaction = ReturnType<Redis["multi"]>;

/** Mirror writes due at one flush: queued on its transaction, committed once that succeeded. */
export interface MirrorWrite {
  queue(tx: RedisTransaction): void;
  commit(): void;
}

/** Counters in `meta`: every page that adds ids bumps SEEN_SEQ; a flush records what it wrote. */
const SEEN_SEQ = "seen_seq";
const SEEN_ROTATED_SEQ = "seen_rotated_seq";
const SEEN_MIRRORED_SEQ = "seen_mirrored_seq";
const SUPPRESSED_SEQ = "suppressed_seq";
const SUPPRESSED_MIRRORED_SEQ = "suppressed_mirrored_seq";

/**
 * Keeps `seen:{user}` and `suppressed:{user}` in Redis equal to this object's seen-filter and
 * suppressions, so the origin's rails drop exactly what the page would. What is still to write is
 * tracked by sequence numbers in SQLite, committed with the page or suppression that changed it:
 * a flush that fails leaves them as they were and the next one (the alarm's) writes it all, even
 * after eviction. Only what changed is written: the newest seen generation after a page, the
 * whole hash after a rotation (DEL and HSET in one transaction, so a reader never finds it
 * empty), new suppressions, and HDEL for expired ones.
 */
export class FeedMirror {
  constructor(
    private readonly sql: SqlStorage,
    private readonly meta: FeedMeta,
    private readonly seen: SeenFilter,
    private readonly userId: string,
  ) {}

  /** A page added ids to the seen-filter; `rotated` when that started a new generation. */
  seenChanged(rotated: boolean): void {
    const seq = this.meta.next(SEEN_SEQ);
    if (rotated) this.meta.set(SEEN_ROTATED_SEQ, seq);
  }

  /** The sequence number of a suppression being written now. */
  nextSuppressionSeq(): number {
    return this.meta.next(SUPPRESSED_SEQ);
  }

  /** The writes due, or null when Redis already holds everything. Read in one synchronous step. */
  pending(now: number): MirrorWrite | null {
    const writes = [this.pendingSeen(), this.pendingSuppressions(now)].flatMap((w) => w ?? []);
    if (writes.length === 0) return null;
    return {
      queue: (tx) => {
        for (const write of writes) write.queue(tx);
      },
      commit: () => {
        for (const write of writes) write.commit();
      },
    };
  }

  private pendingSeen(): MirrorWrite | null {
    const seq = this.meta.get(SEEN_SEQ) ?? 0;
    const mirrored = this.meta.get(SEEN_MIRRORED_SEQ);
    const newest = this.seen.generations[0];
    if (!newest || (mirrored !== null && seq <= mirrored)) return null;
    // An object that has never mirrored (created before the mirror existed) writes it all once.
    const whole = mirrored === null || (this.meta.get(SEEN_ROTATED_SEQ) ?? 0) > mirrored;
    const generations = whole ? this.seen.generations : [newest];
    const fields = Object.fromEntries(generations.map((g) => [g.startedAt, encodeGeneration(g)]));
    const key = SeenKeys.seen(this.userId);
    return {
      queue: (tx) => {
        if (whole) tx.del(key);
        tx.hset(key, fields);
        tx.pexpire(key, RETENTION_MS);
      },
      commit: () => this.meta.set(SEEN_MIRRORED_SEQ, seq),
    };
  }

  private pendingSuppressions(now: number): MirrorWrite | null {
    // Rows from before the mirror carry seq 0, so the first watermark sits below them.
    const mirrored = this.meta.get(SUPPRESSED_MIRRORED_SEQ) ?? -1;
    const fresh = this.sql
      .exec<{ kind: string; value: string; until: number; seq: number }>(
        "SELECT kind, value, until, seq FROM suppressed WHERE seq > ? AND until > ?",
        mirrored,
        now,
      )
      .toArray();
    const expired = this.sql
      .exec<{ kind: string; value: string }>(
        "SELECT kind, value FROM suppressed WHERE until <= ?",
        now,
      )
      .toArray();
    if (fresh.length === 0 && expired.length === 0) return null;
    const key = SeenKeys.suppressed(this.userId);
    return {
      queue: (tx) => {
        if (expired.length > 0) tx.hdel(key, ...expired.map(suppressionField));
        if (fresh.length > 0) {
          tx.hset(key, Object.fromEntries(fresh.map((row) => [suppressionField(row), row.until])));
        }
        tx.pexpire(key, RETENTION_MS);
      },
      commit: () => {
        const sent = fresh.reduce((max, row) => Math.max(max, row.seq), mirrored);
        this.meta.set(SUPPRESSED_MIRRORED_SEQ, sent);
        // Gone from Redis now; a suppression renewed meanwhile has a later `until` and stays.
        this.sql.exec("DELETE FROM suppressed WHERE until <= ?", now);
      },
    };
  }
}

function suppressionField(row: { kind: string; value: string }): string {
  return `${row.kind}:${row.value}`;
}
