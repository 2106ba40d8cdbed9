import type { Dialect, TableRef } from './dialect.js';
import type { Session } from './executor.js';

/** A lock that lets one instance sweep a table at a time. */
export interface SweepLock {
  /** True when this session now holds the lock. Never waits. */
  acquire(session: Session): Promise<boolean>;
  release(session: Session): Promise<void>;
}

/** The statements that take and release a table's sweep lock, with `?` placeholders. */
export interface SweepLockSql {
  readonly acquire: string;
  readonly release: string;
  readonly params: readonly unknown[];
}

// The first key of PostgreSQL's two-key advisory locks: 'sess' in ASCII, so
// sess's locks do not collide with an application's single-key ones.
const PG_LOCK_CLASS = 0x73657373;

/**
 * Session-level advisory locks, keyed by schema (or database) and table,
 * the connection's own when none is set: `pg_try_advisory_lock` on
 * PostgreSQL, `GET_LOCK` (server-wide names of at most 64 characters, hence
 * the hash) on MySQL. SQLite has none and needs none: it serialises writers.
 */
export function sweepLockSql(dialect: Dialect, ref: TableRef): SweepLockSql | undefined {
  switch (dialect) {
    case 'sqlite':
      return undefined;
    case 'postgres': {
      const key = "?, hashtext(coalesce(?::text, current_schema()) || '.' || ?::text)";
      return {
        acquire: `SELECT pg_try_advisory_lock(${key})`,
        release: `SELECT pg_advisory_unlock(${key})`,
        params: [PG_LOCK_CLASS, ref.schema ?? null, ref.table],
      };
    }
    case 'mysql': {
      const name =
        "CONCAT('sess_sweep_', LEFT(SHA2(CONCAT(COALESCE(?, DATABASE()), '.', ?), 256), 40))";
      return {
        acquire: `SELECT GET_LOCK(${name}, 0)`,
        release: `SELECT RELEASE_LOCK(${name})`,
        params: [ref.schema ?? null, ref.table],
      };
    }
  }
}

/**
 * The lock held by the connection that sweeps; the server releases it if
 * that connection dies, so a crashed sweeper never blocks the others.
 */
export function sweepLock(dialect: Dialect, ref: TableRef): SweepLock | undefined {
  const sql = sweepLockSql(dialect, ref);
  if (sql === undefined) return undefined;
  const text = (statement: string) => (dialect === 'postgres' ? numbered(statement) : statement);
  const acquire = text(sql.acquire);
  const release = text(sql.release);
  const params = [...sql.params];
  return {
    async acquire(session) {
      const rows = await session.all(acquire, params, 'SQL sweep lock');
      const held = rows[0]?.[0];
      return held === true || Number(held) === 1;
    },
    async release(session) {
      await session.all(release, params, 'SQL sweep unlock').catch(() => undefined);
    },
  };
}

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
