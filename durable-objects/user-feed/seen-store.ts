import { BloomFilter } from "../../contracts/bloom-filter";
import { SeenFilter } from "../../contracts/seen-filter";
import type { FeedMeta } from "./feed-meta";

/**
 * Pages between two writes of the newest generation's 12 KiB of bits. Writing it with every page
 * was the object's largest storage write; the pages in between are in `pages` anyway (kept 24 h,
 * written long before the next save is due), so a load replays their ids into the filter.
 */
export const SEEN_SAVE_EVERY_PAGES = 8;
/** In `meta`: the rowid of the newest page whose ids the stored generations already hold. */
const SEEN_SAVED_PAGE = "seen_saved_page";

/**
 * The seen-filter's persistence in the object's SQLite: generations in `seen`, written every
 * SEEN_SAVE_EVERY_PAGES pages and at once when a rotation replaced them; on load, the ids of the
 * pages committed since the last write are added again, in order and at their own times, which
 * rebuilds exactly the filter the object had.
 */
export class SeenStore {
  readonly filter: SeenFilter;
  private unsavedPages = 0;
  private lastPage: number | null = null;

  constructor(
    private readonly sql: SqlStorage,
    private readonly meta: FeedMeta,
  ) {
    this.filter = new SeenFilter(this.loadGenerations());
    const saved = this.meta.get(SEEN_SAVED_PAGE);
    // An object from before batched saves wrote its filter with every page: nothing to replay.
    if (saved === null) {
      this.markSaved(this.newestPage());
      return;
    }
    let rotated = false;
    for (const page of this.sql.exec<{ rowid: number; body: string; created_at: number }>(
      "SELECT rowid, body, created_at FROM pages WHERE rowid > ? ORDER BY rowid",
      saved,
    )) {
      for (const item of (JSON.parse(page.body) as { items: { id: string }[] }).items) {
        rotated = this.filter.add(item.id, page.created_at) || rotated;
      }
      this.lastPage = page.rowid;
      this.unsavedPages++;
    }
    // Replayed pages leave `pages` after 24 h: saved now, they cannot be lost with them.
    if (this.unsavedPages > 0) this.save(rotated);
  }

  /** A page with rowid `page` was committed after adding its ids (`rotated`: a rotation happened). */
  pageCommitted(page: number, rotated: boolean): void {
    this.lastPage = page;
    this.unsavedPages++;
    if (rotated || this.unsavedPages >= SEEN_SAVE_EVERY_PAGES) this.save(rotated);
  }

  private save(all: boolean): void {
    if (all) this.sql.exec("DELETE FROM seen");
    const generations = all ? this.filter.generations : this.filter.generations.slice(0, 1);
    for (const generation of generations) {
      this.sql.exec(
        "INSERT OR REPLACE INTO seen (started_at, count, bits) VALUES (?, ?, ?)",
        generation.startedAt,
        generation.count,
        generation.filter.bits,
      );
    }
    this.markSaved(this.lastPage);
  }

  private markSaved(page: number | null): void {
    this.meta.set(SEEN_SAVED_PAGE, page ?? 0);
    this.unsavedPages = 0;
  }

  private newestPage(): number | null {
    return (
      this.sql.exec<{ rowid: number | null }>("SELECT MAX(rowid) AS rowid FROM pages").one()
        .rowid ?? null
    );
  }

  private loadGenerations() {
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
}
