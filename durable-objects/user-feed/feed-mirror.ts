import { SeenKeys } from "../../contracts/keyspace";
import { RETENTION_MS, type SeenFilter } from "../../contracts/seen-filter";
import type { FeedMeta } from "./feed-meta";
import { insertRows } from "./feed-storage";
import { type RedisTransaction, seenMirrorCommands } from "./seen-mirror-commands";

/** Mirror writes due at one flush: queued on its transaction, committed once that succeeded. */
export interface MirrorWrite {
  queue(tx: RedisTransaction): void;
  commit(): void;
}

/** In `meta`: the start of the generation Redis holds in slot 0, absent until the first write. */
const SEEN_MIRRORED_NEWEST = "seen_mirrored_newest";
const SUPPRESSED_SEQ = "suppressed_seq";
const SUPPRESSED_MIRRORED_SEQ = "suppressed_mirrored_seq";

/** An id added to the seen-filter and the start of the generation it went into. */
export interface SeenAddition {
  generation: number;
  id: string;
}

type UnmirroredId = { seq: number; started_at: number; id: string };

/**
 * Keeps the seen mirror (`seen:{user}:0`, `seen:{user}:1`, `seen:{user}`) and `suppressed:{user}`
 * in Redis equal to this object's seen-filter and suppressions, so the origin's rails drop exactly
 * what the page would. What is still to write is tracked in SQLite, committed with the page or
 * suppression that changed it: each id a page adds to the seen-filter gets a `seen_unmirrored`
 * row, deleted once a flush wrote its bits; `meta` records which generation Redis holds in slot 0;
 * suppressions carry sequence numbers. A flush that fails leaves all of it as it was and the next
 * one (the alarm's) writes exactly what is missing, even after eviction.
 */
export class FeedMirror {
  constructor(
    private readonly sql: SqlStorage,
    private readonly meta: FeedMeta,
    private readonly seen: SeenFilter,
    private readonly userId: string,
  ) {}

  /** A page just added these ids, each to the generation that was newest when it was added. */
  seenAdded(added: readonly SeenAddition[]): void {
    insertRows(
      this.sql,
      "INSERT INTO seen_unmirrored (started_at, id)",
      added.map(({ generation, id }) => [generation, id]),
    );
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
    const [newest, ...rest] = this.seen.generations;
    if (!newest) return null;
    const held = this.meta.get(SEEN_MIRRORED_NEWEST);
    const unmirrored = this.sql
      .exec<UnmirroredId>("SELECT seq, started_at, id FROM seen_unmirrored ORDER BY seq")
      .toArray();
    if (held === newest.startedAt && unmirrored.length === 0) return null;
    const queue = seenMirrorCommands({
      userId: this.userId,
      generations: [newest, ...rest],
      held,
      unmirrored: (generation) =>
        unmirrored.filter((row) => row.started_at === generation.startedAt).map((row) => row.id),
    });
    const last = unmirrored.at(-1);
    return {
      queue,
      commit: () => {
        this.meta.set(SEEN_MIRRORED_NEWEST, newest.startedAt);
        // Ids added while the flush was in flight have later seqs and wait for the next one.
        if (last) this.sql.exec("DELETE FROM seen_unmirrored WHERE seq <= ?", last.seq);
      },
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
        // Gone from Redis now: only the rows this write removed there, since one that expired or
        // was evicted meanwhile is still in Redis; one renewed meanwhile has a later `until`.
        for (const row of expired) {
          this.sql.exec(
            "DELETE FROM suppressed WHERE kind = ? AND value = ? AND until <= ?",
            row.kind,
            row.value,
            now,
          );
        }
      },
    };
  }
}

function suppressionField(row: { kind: string; value: string }): string {
  return `${row.kind}:${row.value}`;
}
