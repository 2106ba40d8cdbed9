import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knex, { type Knex } from 'knex';
import { sqliteConfig } from '../../src/index.js';

/** The machine's shared servers: tests isolate themselves in a schema or database of their own. */
export const SHARED_POSTGRES =
  process.env.SESS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const SHARED_MYSQL = {
  host: process.env.SESS_TEST_MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.SESS_TEST_MYSQL_PORT ?? 3306),
  user: process.env.SESS_TEST_MYSQL_USER ?? 'root',
  password: process.env.SESS_TEST_MYSQL_PASSWORD ?? '',
};

/** knex logs every failed connection attempt; the fault tests cause them on purpose. */
export const quietLog = { warn() {}, error() {}, deprecate() {}, debug() {} };

/** A name unique to this test run, valid as a schema or database name. */
export function runName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export interface TestDatabase {
  readonly knex: Knex;
  /** Schema (PostgreSQL) or database (MySQL) holding this run's tables. */
  readonly schema?: string;
  /** Another knex instance on the same database, as a second process would have; the caller destroys it. */
  connect(): Knex;
  /** Drops what the run created and closes the pool. */
  close(): Promise<void>;
}

export async function sqliteMemory(): Promise<TestDatabase> {
  const db = knex(sqliteConfig(':memory:'));
  return {
    knex: db,
    connect: () => {
      throw new Error('an in-memory SQLite database has a single connection');
    },
    close: () => db.destroy(),
  };
}

export async function sqliteFile(): Promise<TestDatabase & { readonly filename: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'sess-sql-'));
  const filename = join(dir, 'sessions.db');
  const db = knex(sqliteConfig(filename));
  return {
    knex: db,
    filename,
    connect: () => knex(sqliteConfig(filename)),
    async close() {
      await db.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh schema on the shared PostgreSQL, first on the connection's search_path. */
export async function sharedPostgres(connection = SHARED_POSTGRES): Promise<TestDatabase> {
  const schema = runName('sess_test');
  const admin = knex({ client: 'pg', connection, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE SCHEMA ${schema}`);
  await admin.destroy();
  const config = { client: 'pg', connection, searchPath: [schema], pool: { min: 0, max: 10 } };
  const db = knex(config);
  return {
    knex: db,
    schema,
    connect: () => knex(config),
    async close() {
      await db.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db.destroy();
    },
  };
}

/** A fresh database on the shared MariaDB/MySQL. */
export async function sharedMysql(server = SHARED_MYSQL): Promise<TestDatabase> {
  const database = runName('sess_test');
  const admin = knex({ client: 'mysql2', connection: server, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE ${database} CHARACTER SET utf8mb4`);
  await admin.destroy();
  const config = {
    client: 'mysql2',
    connection: { ...server, database },
    pool: { min: 0, max: 10 },
  };
  const db = knex(config);
  return {
    knex: db,
    schema: database,
    connect: () => knex(config),
    async close() {
      await db.raw(`DROP DATABASE IF EXISTS ${database}`);
      await db.destroy();
    },
  };
}
