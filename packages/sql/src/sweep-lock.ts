import type { Dialect, TableRef } from './dialect.js';
import type { Session } from './executor.js';

/** A lock that lets one instance sweep a table at a time. */
export interface SweepLock {
  /** True when this session now holds the lock. Never waits. */
  acquire(session: Session): Promise<boolean>;
  release(session: Session): Promise<void>;
}

// The first key of PostgreSQL's two-key advisory locks: 'se' 'ss' in ASCII,
// so sess's locks do not collide with an application's single-key ones.
const PG_LOCK_CLASS = 0x73657373 | 0;


/**
 * Session-level advisory locks: held by the connection that sweeps, released
 * by the server if that connection dies, so a crashed sweeper never blocks
 * the others for long.
 */
export function sweepLock(dialect: Dialect, ref: TableRef): SweepLock | undefined {
  switch (dialect) {
    case 'sqlite':
      return undefined;
    case 'postgres': {
      // Keyed by schema and table, the schema being the connection's when none is set.
      const key = "hashtext(coalesce($2::text, current_schema()) || '.' || $3::text)";
      const params = [PG_LOCK_CLASS, ref.schema ?? null, ref.table];
      return {
        async acquire(session) {
          const rows = await session.all(
            `SELECT pg_try_advisory_lock($1, ${key})`,
            params,
            'SQL sweep lock',
          );
          return rows[0]?.[0] === true;
        },
        async release(session) {
          await session
            .all(`SELECT pg_advisory_unlock($1, ${key})`, params, 'SQL sweep unlock')
            .catch(() => undefined);
        },
      };
    }
    case 'mysql': {
      // Lock names are server-wide and at most 64 characters: a hash of the
      // database and table, the database being the connection's when none is set.
      const name = "CONCAT('sess_sweep_', LEFT(SHA2(CONCAT(COALESCE(?, DATABASE()), '.', ?), 256), 40))";
      const params = [ref.schema ?? null, ref.table];
      return {
        async acquire(session) {
          const rows = await session.all(`SELECT GET_LOCK(${name}, 0)`, params, 'SQL sweep lock');
          return Number(rows[0]?.[0]) === 1;
        },
        async release(session) {
          await session
            .all(`SELECT RELEASE_LOCK(${name})`, params, 'SQL sweep unlock')
            .catch(() => undefined);
        },
      };
    }
  }
}
