import { InvalidOptionError } from '@sess/core';
import type { Knex } from 'knex';

/** The SQL dialects the store speaks, each through one driver. */
export type Dialect = 'sqlite' | 'postgres' | 'mysql';

/** The knex driver each dialect is tested with. */
const DRIVERS: Record<string, Dialect> = {
  'better-sqlite3': 'sqlite',
  pg: 'postgres',
  mysql2: 'mysql',
};

/** Reads the dialect of a knex instance from the driver it was configured with. */
export function dialectOf(knex: Knex): Dialect {
  const client = (knex as { client?: { driverName?: unknown } } | undefined)?.client;
  const driver = client?.driverName;
  const dialect = typeof driver === 'string' ? DRIVERS[driver] : undefined;
  if (dialect === undefined) {
    throw new InvalidOptionError(
      `@sess/sql needs a knex instance whose client is better-sqlite3, pg or mysql2; got ${
        typeof driver === 'string' ? driver : 'no knex instance'
      }.`,
    );
  }
  return dialect;
}

/** Largest payload each dialect's `data` column holds, in bytes. */
export const DIALECT_MAX_PAYLOAD: Record<Dialect, number> = {
  // SQLITE_MAX_LENGTH, the default limit on one value.
  sqlite: 1_000_000_000,
  // bytea holds 1 GB; a session anywhere near it is a bug.
  postgres: 1_000_000_000,
  // MEDIUMTEXT; the server's max_allowed_packet must also exceed it.
  mysql: 16_777_215,
};

/** A quoted, possibly schema-qualified table name and the names derived from it. */
export interface TableRef {
  readonly table: string;
  readonly schema: string | undefined;
  /** `"schema"."table"` (or backticks on MySQL), ready for SQL text. */
  readonly qualified: string;
  /** Name of the expiry index. */
  readonly expiresIndex: string;
  /** Name of the user index. */
  readonly userIndex: string;
}

export function quote(dialect: Dialect, identifier: string): string {
  // Identifiers are validated to [A-Za-z0-9_], so quoting never needs escaping.
  return dialect === 'mysql' ? `\`${identifier}\`` : `"${identifier}"`;
}

export function tableRef(dialect: Dialect, table: string, schema: string | undefined): TableRef {
  const name = quote(dialect, table);
  return {
    table,
    schema,
    qualified: schema === undefined ? name : `${quote(dialect, schema)}.${name}`,
    expiresIndex: `${table}_expires_at_idx`,
    userIndex: `${table}_user_id_idx`,
  };
}
