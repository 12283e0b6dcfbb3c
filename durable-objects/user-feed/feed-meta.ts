/** Small named values of one UserFeed object (timestamps, counters, the user's arm), in SQLite. */
export class FeedMeta {
  constructor(private readonly sql: SqlStorage) {}

  get(key: string): number | null {
    const row = this.sql
      .exec<{ value: number }>("SELECT value FROM meta WHERE key = ?", key)
      .toArray()[0];
    return row?.value ?? null;
  }

  set(key: string, value: number): void {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, value);
  }

  /** Increments a counter that starts at 0 and returns its new value. */
  next(key: string): number {
    const value = (this.get(key) ?? 0) + 1;
    this.set(key, value);
    return value;
  }

  text(key: string): string | null {
    const row = this.sql
      .exec<{ value: string }>("SELECT value FROM meta_text WHERE key = ?", key)
      .toArray()[0];
    return row?.value ?? null;
  }

  setText(key: string, value: string): void {
    this.sql.exec("INSERT OR REPLACE INTO meta_text (key, value) VALUES (?, ?)", key, value);
  }
}
