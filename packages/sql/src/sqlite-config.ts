import type { Database } from 'better-sqlite3';
import type { Knex } from 'knex';

export interface SqliteConfigOptions {
  /** How long a connection waits for another process's write lock, in ms. Default 2000. */
  readonly busyTimeoutMs?: number;
  /** Write-ahead logging: readers never wait for the writer. Default true (ignored for `:memory:`). */
  readonly wal?: boolean;
}

/**
 * A knex configuration for SQLite through better-sqlite3, with the settings
 * a session store wants, applied to every connection in the pool's
 * `afterCreate`: WAL journaling (readers never wait for the writer, and a
 * commit is one sequential write), `synchronous = NORMAL` (safe with WAL:
 * a power cut can lose the last commits, never corrupt the file) and a
 * `busy_timeout`, so a write that meets another process's lock waits for it
 * instead of failing at once. One connection: better-sqlite3 is synchronous,
 * more would only wait on each other (and each `:memory:` connection would
 * be a database of its own).
 *
 * @example
 * import knex from 'knex';
 * import { SqlStore, sqliteConfig } from '@sess/sql';
 *
 * const db = knex(sqliteConfig('./sessions.db'));
 * const store = new SqlStore({ knex: db });
 */
export function sqliteConfig(filename: string, options: SqliteConfigOptions = {}): Knex.Config {
  const { busyTimeoutMs = 2_000, wal = true } = options;
  return {
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(db: Database, done: (error: Error | null, db: Database) => void) {
        try {
          db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
          if (wal && !db.memory) {
            db.pragma('journal_mode = WAL');
            db.pragma('synchronous = NORMAL');
          }
          done(null, db);
        } catch (error) {
          done(error as Error, db);
        }
      },
    },
  };
}
