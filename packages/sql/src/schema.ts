import { InvalidOptionError } from '@sess/core';
import type { Knex } from 'knex';
import { type Dialect, dialectOf, quote, type TableRef, tableRef } from './dialect.js';
import { asStoreError } from './driver-errors.js';
import { assertIdentifier } from './identifiers.js';

/** Where the sessions live. */
export interface TableOptions {
  /** Table name, an SQL identifier. Default `sess_sessions`. */
  readonly table?: string;
  /**
   * PostgreSQL schema or MySQL database holding the table. Default: the
   * connection's own (`search_path` / current database). Not used on SQLite.
   */
  readonly schema?: string;
}

export const DEFAULT_TABLE = 'sess_sessions';

/** Validates the table options and returns the quoted names for `dialect`. */
export function resolveTable(dialect: Dialect, options: TableOptions): TableRef {
  const table = options.table ?? DEFAULT_TABLE;
  assertIdentifier(table, 'table');
  const { schema } = options;
  if (schema !== undefined) {
    assertIdentifier(schema, 'schema');
    if (dialect === 'sqlite') {
      throw new InvalidOptionError(
        'schema is not used on SQLite: name the table alone (one database file holds one namespace of tables).',
      );
    }
  }
  return tableRef(dialect, table, schema);
}

/**
 * The DDL of the sessions table, per dialect:
 * - `id`: the session id, compared byte for byte (ids differing only in case are different sessions).
 * - `data`: the encoded session. PostgreSQL keeps it as `bytea`, because its
 *   text types cannot hold the NUL character a payload may contain.
 * - `expires_at`, `created_at`: epoch milliseconds (BIGINT); `expires_at` is indexed for reads and sweeps.
 * - `version`: the opaque version of the last write.
 * - `user_id`: the owner, indexed; bytes (UTF-8) on PostgreSQL and MySQL so that every
 *   user id, NUL and trailing spaces included, is matched exactly.
 */
export function schemaStatements(dialect: Dialect, ref: TableRef): string[] {
  const t = ref.qualified;
  const expiresIndex = quote(dialect, ref.expiresIndex);
  const userIndex = quote(dialect, ref.userIndex);
  switch (dialect) {
    case 'sqlite':
      return [
        `CREATE TABLE IF NOT EXISTS ${t} (id TEXT NOT NULL PRIMARY KEY, data TEXT NOT NULL, expires_at BIGINT NOT NULL, version TEXT NOT NULL, user_id TEXT, created_at BIGINT NOT NULL)`,
        `CREATE INDEX IF NOT EXISTS ${expiresIndex} ON ${t} (expires_at)`,
        `CREATE INDEX IF NOT EXISTS ${userIndex} ON ${t} (user_id) WHERE user_id IS NOT NULL`,
      ];
    case 'postgres':
      return [
        `CREATE TABLE IF NOT EXISTS ${t} (id varchar(128) COLLATE "C" NOT NULL PRIMARY KEY, data bytea NOT NULL, expires_at bigint NOT NULL, version varchar(32) NOT NULL, user_id bytea, created_at bigint NOT NULL)`,
        `CREATE INDEX IF NOT EXISTS ${expiresIndex} ON ${t} (expires_at)`,
        `CREATE INDEX IF NOT EXISTS ${userIndex} ON ${t} (user_id) WHERE user_id IS NOT NULL`,
      ];
    case 'mysql':
      return [
        `CREATE TABLE IF NOT EXISTS ${t} (id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, data MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, expires_at BIGINT NOT NULL, version VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, user_id VARBINARY(1024) NULL, created_at BIGINT NOT NULL, PRIMARY KEY (id), KEY ${expiresIndex} (expires_at), KEY ${userIndex} (user_id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      ];
  }
}

/**
 * Creates the sessions table and its indexes if they are missing. Safe to
 * run on every start; nothing in this package runs DDL by itself.
 *
 * @example
 * await ensureSchema(knex, { table: 'sess_sessions' });
 */
export async function ensureSchema(knex: Knex, options: TableOptions = {}): Promise<void> {
  const dialect = dialectOf(knex);
  const ref = resolveTable(dialect, options);
  for (const sql of schemaStatements(dialect, ref)) {
    try {
      await knex.raw(sql);
    } catch (error) {
      // Two processes creating the same table at once: PostgreSQL may report
      // the loser's IF NOT EXISTS as a duplicate; the table is there either way.
      const code = (error as { code?: unknown }).code;
      if (dialect === 'postgres' && (code === '23505' || code === '42P07')) continue;
      throw asStoreError(error, 'SQL ensureSchema', dialect);
    }
  }
}

/**
 * Drops the sessions table and everything in it.
 *
 * @example
 * await dropSchema(knex, { table: 'sess_sessions' });
 */
export async function dropSchema(knex: Knex, options: TableOptions = {}): Promise<void> {
  const dialect = dialectOf(knex);
  const ref = resolveTable(dialect, options);
  await knex.raw(`DROP TABLE IF EXISTS ${ref.qualified}`);
}

/** A knex migration: `up` creates the sessions table, `down` drops it. */
export interface SessionsMigration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * The sessions table as a knex migration, for applications that run their
 * own migrations instead of calling `ensureSchema()`.
 *
 * @example
 * // migrations/20260101000000_sessions.js
 * import { sessionsMigration } from '@sess/sql';
 * export const { up, down } = sessionsMigration({ table: 'sess_sessions' });
 */
export function sessionsMigration(options: TableOptions = {}): SessionsMigration {
  // Checked now, so a bad name fails when the migration file loads.
  assertIdentifier(options.table ?? DEFAULT_TABLE, 'table');
  if (options.schema !== undefined) assertIdentifier(options.schema, 'schema');
  return {
    up: (knex) => ensureSchema(knex, options),
    down: (knex) => dropSchema(knex, options),
  };
}
