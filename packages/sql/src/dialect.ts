import { InvalidOptionError, type SessionRecord } from '@sess/core';
import type { Knex } from 'knex';
import type { RunResult } from './executor.js';

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

/**
 * What differs between the dialects besides their SQL text (statements.ts):
 * how each binds its parameters and reads back the outcome of a statement.
 * The store calls these and never branches on the dialect itself.
 */
export interface DialectRules {
  readonly name: Dialect;
  /** Largest payload the `data` column holds, in bytes. */
  readonly maxPayloadBytes: number;
  /** `data` as bound: text, or UTF-8 bytes where text would not round-trip exactly. */
  data(data: string): unknown;
  /** `user_id` as bound: null when absent. */
  userId(userId: string | undefined): unknown;
  /** True when `data` reads back as bytes. */
  readonly dataIsBytes: boolean;
  /** The parameters of `create` (see statements.ts). */
  createParams(id: string, record: SessionRecord, version: string, now: number): unknown[];
  /** Whether `create` wrote; false when a live record was there. */
  created(result: RunResult): boolean;
  /**
   * Whether `touch` found a live record; `undefined` when the outcome cannot
   * tell, and the store must ask.
   */
  touched(result: RunResult): boolean | undefined;
  /** A LIMIT as bound. */
  limit(n: number): number | string;
  /** The parameters of one sweep batch deleting at most `batch` rows expired at `now`. */
  sweepBatchParams(now: number, batch: number): unknown[];
}

const text = (value: string) => value;
const bytes = (value: string) => Buffer.from(value, 'utf8');
const nullable = (encode: (value: string) => unknown) => (value: string | undefined) =>
  value === undefined ? null : encode(value);

/** The columns of a new row, then `now` once more for the upsert's expiry check. */
function createRow(
  rules: DialectRules,
  id: string,
  record: SessionRecord,
  version: string,
  now: number,
) {
  const { data, expiresAt, userId } = record;
  return [id, rules.data(data), expiresAt, version, rules.userId(userId), now, now];
}

/** SQLite and PostgreSQL report the rows a statement matched, and bind LIMIT as a number. */
const matchedRows = {
  createParams(
    this: DialectRules,
    id: string,
    record: SessionRecord,
    version: string,
    now: number,
  ) {
    return createRow(this, id, record, version, now);
  },
  created: (result: RunResult) => result.changes > 0,
  touched: (result: RunResult) => result.changes > 0,
  limit: (n: number) => n,
  sweepBatchParams: (now: number, batch: number) => [now, batch, now],
};

export const DIALECT_RULES: Record<Dialect, DialectRules> = {
  sqlite: {
    ...matchedRows,
    name: 'sqlite',
    // SQLITE_MAX_LENGTH, the default limit on one value.
    maxPayloadBytes: 1_000_000_000,
    data: text,
    userId: nullable(text),
    dataIsBytes: false,
  },
  postgres: {
    ...matchedRows,
    name: 'postgres',
    // bytea holds 1 GB; a session anywhere near it is a bug.
    maxPayloadBytes: 1_000_000_000,
    // bytea: its text types cannot hold the NUL a payload or user id may contain.
    data: bytes,
    userId: nullable(bytes),
    dataIsBytes: true,
  },
  mysql: {
    name: 'mysql',
    // MEDIUMTEXT; the server's max_allowed_packet must also exceed it.
    maxPayloadBytes: 16_777_215,
    data: text,
    // VARBINARY: VARCHAR comparisons ignore trailing spaces; bytes match exactly.
    userId: nullable(bytes),
    dataIsBytes: false,
    // Its upsert compares the stored expiry to now once per column.
    createParams(id, record, version, now) {
      return [...createRow(this, id, record, version, now), now, now, now, now];
    },
    // The outcome is in insertId (see statements.ts): 1 = a live row was there.
    created: (result) => result.insertId !== 1,
    // Without the FOUND_ROWS flag MySQL counts only changed rows, so a touch
    // to the expiry a row already has reports 0: the store asks.
    touched: (result) => (result.changes > 0 ? true : undefined),
    // A prepared LIMIT wants an integer, which mysql2 sends only as a string.
    limit: (n) => String(n),
    sweepBatchParams: (now, batch) => [now, String(batch)],
  },
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
