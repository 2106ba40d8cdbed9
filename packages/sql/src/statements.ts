import { createHash } from 'node:crypto';
import type { Dialect, TableRef } from './dialect.js';

/**
 * One SQL statement, written once per dialect and table when the store is
 * built, so no query builder runs per operation. `name` identifies it as a
 * prepared statement (PostgreSQL) and as a cache key (SQLite).
 */
export interface Statement {
  readonly name: string;
  readonly sql: string;
}

/**
 * Every statement the store runs. The parameters of each are listed in
 * the comment above it, in order; `now` is the store's clock.
 */
export interface Statements {
  /** id, now → data, expires_at, version, user_id */
  readonly get: Statement;
  /**
   * id, data, expiresAt, version, userId, now (created_at), now (×5 on MySQL).
   * Inserts, or replaces an expired row, in one statement. SQLite and
   * PostgreSQL: 1 row changed when written, 0 when a live row is there.
   * MySQL: `insertId` 0 when inserted, 2 when an expired row was replaced,
   * 1 when a live row is there.
   */
  readonly create: Statement;
  /** data, expiresAt, version, userId, id, now */
  readonly update: Statement;
  /** data, expiresAt, version, userId, id, now, ifVersion */
  readonly updateIf: Statement;
  /** expiresAt, id, now */
  readonly touch: Statement;
  /** id, now → one row when a live record is there */
  readonly live: Statement;
  /** id */
  readonly destroy: Statement;
  /** now, after, limit → id */
  readonly list: Statement;
  /** now, userId, after, limit → id */
  readonly listUser: Statement;
  /** now → count */
  readonly count: Statement;
  /** userId, now, except */
  readonly destroyByUser: Statement;
  /** now, limit, now: deletes at most `limit` expired rows */
  readonly sweepBatch: Statement;
  /** (none) */
  readonly clear: Statement;
}

const COLUMNS = 'id, data, expires_at, version, user_id, created_at';

/** The size of a stored `data` in bytes, in each dialect (SQLite keeps it as text). */
const DATA_BYTES: Record<Dialect, string> = {
  sqlite: 'length(CAST(data AS BLOB))',
  postgres: 'octet_length(data)',
  mysql: 'LENGTH(data)',
};

/**
 * The store's statements on `ref`. A read returns `data` only up to
 * `maxDataBytes`, and NULL beyond (the column is NOT NULL): a larger row was
 * not written by this store, and never crosses the network into memory.
 */
export function buildStatements(dialect: Dialect, ref: TableRef, maxDataBytes: number): Statements {
  const t = ref.qualified;
  if (!Number.isSafeInteger(maxDataBytes)) throw new Error('maxDataBytes must be an integer.');
  const boundedData = `CASE WHEN ${DATA_BYTES[dialect]} <= ${maxDataBytes} THEN data END`;
  // SQLite columns take any type: a row whose data is not text cannot be
  // read back, so writes treat it as absent instead of overwriting it.
  const readable = dialect === 'sqlite' ? " AND typeof(data) = 'text'" : '';
  const text: Record<keyof Statements, string> = {
    get: `SELECT ${boundedData}, expires_at, version, user_id FROM ${t} WHERE id = ? AND expires_at > ?`,
    create: createSql(dialect, t),
    update: `UPDATE ${t} SET data = ?, expires_at = ?, version = ?, user_id = ? WHERE id = ? AND expires_at > ?${readable}`,
    updateIf: `UPDATE ${t} SET data = ?, expires_at = ?, version = ?, user_id = ? WHERE id = ? AND expires_at > ? AND version = ?${readable}`,
    touch: `UPDATE ${t} SET expires_at = ? WHERE id = ? AND expires_at > ?${readable}`,
    live: `SELECT 1 FROM ${t} WHERE id = ? AND expires_at > ?${readable}`,
    destroy: `DELETE FROM ${t} WHERE id = ?`,
    list: `SELECT id FROM ${t} WHERE expires_at > ? AND id > ? ORDER BY id LIMIT ?`,
    listUser: `SELECT id FROM ${t} WHERE expires_at > ? AND user_id = ? AND id > ? ORDER BY id LIMIT ?`,
    count: `SELECT COUNT(*) FROM ${t} WHERE expires_at > ?`,
    destroyByUser: `DELETE FROM ${t} WHERE user_id = ? AND expires_at > ? AND id <> ?`,
    sweepBatch: sweepSql(dialect, t),
    clear: `DELETE FROM ${t}`,
  };
  const statements = {} as Record<keyof Statements, Statement>;
  for (const [key, sql] of Object.entries(text) as Array<[keyof Statements, string]>) {
    const final = dialect === 'postgres' ? numberPlaceholders(sql) : sql;
    statements[key] = { name: statementName(final), sql: final };
  }
  return statements;
}

function createSql(dialect: Dialect, t: string): string {
  const values = `(${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`;
  switch (dialect) {
    case 'sqlite':
    case 'postgres':
      // The conflict's WHERE sees the stored row: only an expired one is replaced.
      return `INSERT INTO ${t} AS cur ${values} ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, version = excluded.version, user_id = excluded.user_id, created_at = excluded.created_at WHERE cur.expires_at <= ?`;
    case 'mysql':
      // MySQL has no conditional upsert: each column keeps its value unless the
      // stored row has expired. Assignments run left to right, so expires_at is
      // set last and the earlier conditions still see the stored expiry. The
      // last condition also stores 1 (live) or 2 (expired) as LAST_INSERT_ID,
      // which the server reports as insertId; a fresh insert reports 0. That
      // tells the three outcomes apart whatever the connection's FOUND_ROWS
      // flag does to affectedRows.
      return `INSERT INTO ${t} ${values} ON DUPLICATE KEY UPDATE data = IF(expires_at <= ?, VALUES(data), data), version = IF(expires_at <= ?, VALUES(version), version), user_id = IF(expires_at <= ?, VALUES(user_id), user_id), created_at = IF(expires_at <= ?, VALUES(created_at), created_at), expires_at = IF(LAST_INSERT_ID((expires_at <= ?) + 1) = 2, VALUES(expires_at), expires_at)`;
  }
}

function sweepSql(dialect: Dialect, t: string): string {
  switch (dialect) {
    case 'sqlite':
      // The outer check is written `expires_at + 0` so that it cannot become an
      // index condition: the rows are fetched by rowid (see PostgreSQL below).
      return `DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE expires_at <= ? ORDER BY expires_at LIMIT ?) AND expires_at + 0 <= ?`;
    case 'postgres':
      // SKIP LOCKED: concurrent sweepers take different rows instead of
      // queueing on each other, and a row a writer holds is left for later.
      // Oldest first through the expiry index (unordered, the planner may pick
      // a table scan that rereads the rows earlier batches deleted). Rows are
      // addressed by ctid, a direct tuple fetch (`id IN (…)` plans a scan of the
      // whole table per batch), and the outer condition is checked again on
      // the locked row. It is written `expires_at + 0` so that the planner
      // cannot make it an index condition: with statistics still counting a
      // small table (right after a bulk load) it scanned the whole expiry
      // index per batch, filtering on ctid, instead of fetching 1000 tuples.
      return `DELETE FROM ${t} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${t} WHERE expires_at <= ? ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED)) AND expires_at + 0 <= ?`;
    case 'mysql':
      return `DELETE FROM ${t} WHERE expires_at <= ? ORDER BY expires_at LIMIT ?`;
  }
}

/** `?` → `$1, $2, …` for PostgreSQL. The SQL above has no `?` inside literals. */
function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** A stable name per statement text, for PostgreSQL's named prepared statements. */
function statementName(sql: string): string {
  return `sess_${createHash('sha256').update(sql).digest('base64url').slice(0, 24)}`;
}
