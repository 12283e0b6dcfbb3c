/**
 * The UserFeed object's SQLite schema. Objects outlive deploys, so a column added after the first
 * release is added to existing tables here, once, guarded by what the table already has.
 */
export function migrateFeedStorage(sql: SqlStorage): void {
  sql.exec(`
    CREATE TABLE IF NOT EXISTS buffer (
      pos INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      card TEXT NOT NULL,
      fetched_at INTEGER NOT NULL,
      arm TEXT NOT NULL DEFAULT 'control'
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
    CREATE TABLE IF NOT EXISTS seen_unmirrored (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      started_at INTEGER NOT NULL,
      id TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS suppressed (
      kind TEXT NOT NULL,
      value TEXT NOT NULL,
      until INTEGER NOT NULL,
      seq INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (kind, value)
    );
    CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, fields TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS meta_text (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `);
  // Added with the A/B arm: candidates buffered before it were ranked by the control config.
  addColumn(sql, "buffer", "arm", "TEXT NOT NULL DEFAULT 'control'");
  // Added with the Redis mirror: 0 sorts below every suppression written since, so the rows
  // already there are mirrored on the first flush (FeedMirror starts its watermark below 0).
  addColumn(sql, "suppressed", "seq", "INTEGER NOT NULL DEFAULT 0");
}

function addColumn(sql: SqlStorage, table: string, column: string, definition: string): void {
  const columns = sql.exec<{ name: string }>(`PRAGMA table_info(${table})`).toArray();
  if (columns.some((existing) => existing.name === column)) return;
  sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
}

/** Durable Object SQLite binds at most 100 values per statement. */
const MAX_BOUND_VALUES = 100;

/**
 * Rows inserted with as few statements as the bound-value limit allows: each exec is a crossing
 * into SQLite, and a page's impressions or a refill's candidates one at a time took a dozen.
 * `into` is the statement up to VALUES, e.g. `INSERT INTO outbox (fields)`.
 */
export function insertRows(
  sql: SqlStorage,
  into: string,
  rows: readonly SqlStorageValue[][],
): void {
  const arity = rows[0]?.length ?? 0;
  if (arity === 0) return;
  const perStatement = Math.max(1, Math.floor(MAX_BOUND_VALUES / arity));
  const placeholder = `(${Array(arity).fill("?").join(", ")})`;
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    sql.exec(`${into} VALUES ${chunk.map(() => placeholder).join(", ")}`, ...chunk.flat());
  }
}
