import { SchemaMissingError, StoreUnavailableError } from '@sess/core';
import type { Knex } from 'knex';
import knex from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dropSchema,
  ensureSchema,
  SqlStore,
  sessionsMigration,
  sqliteConfig,
} from '../src/index.js';
import { sqliteFile, sqliteMemory, type TestDatabase } from './support/databases.js';
import { DIALECTS } from './support/dialects.js';

const HOUR = 3_600_000;
const record = (data: string) => ({ data, expiresAt: Date.now() + HOUR });

describe('options', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await sqliteMemory();
  });
  afterAll(() => db.close());

  it.each(['x"; DROP TABLE users; --', 'sessions.v2', '1sessions', '', 'a'.repeat(49), 'café'])(
    'rejects the table name %j with InvalidOptionError, before any SQL',
    (table) => {
      expect(() => new SqlStore({ knex: db.knex, table })).toThrow(
        expect.objectContaining({ code: 'SESS_INVALID_OPTION' }),
      );
      expect(() => sessionsMigration({ table })).toThrow(
        expect.objectContaining({ code: 'SESS_INVALID_OPTION' }),
      );
    },
  );

  it('rejects a schema on SQLite, which has none', () => {
    expect(() => new SqlStore({ knex: db.knex, schema: 'public' })).toThrow(
      /schema is not used on SQLite/,
    );
  });

  it('rejects a knex instance whose driver it does not speak', () => {
    const other = { client: { driverName: 'mssql' } } as unknown as Knex;
    expect(() => new SqlStore({ knex: other })).toThrow(/better-sqlite3, pg or mysql2; got mssql/);
    expect(() => new SqlStore({ knex: undefined as unknown as Knex })).toThrow(/no knex instance/);
  });

  it.each([
    { maxPayloadBytes: 0 },
    { maxPayloadBytes: 1.5 },
    { operationTimeoutMs: 0 },
    { sweepBatchSize: 0 },
    { sweepBatchSize: 100_001 },
  ])('rejects %j', (options) => {
    expect(() => new SqlStore({ knex: db.knex, ...options })).toThrow(
      expect.objectContaining({ code: 'SESS_INVALID_OPTION' }),
    );
  });

  it('declares its capabilities, with the chosen limits', () => {
    const store = new SqlStore({ knex: db.knex, maxPayloadBytes: 4096, operationTimeoutMs: 500 });
    expect(store.capabilities).toEqual({
      expiry: 'sweep',
      list: true,
      count: true,
      users: true,
      clear: true,
      ttlResolutionMs: 0,
      maxPayloadBytes: 4096,
      operationTimeoutMs: 500,
    });
    expect(store.dialect).toBe('sqlite');
    expect(store.table).toBe('"sess_sessions"');
  });

  it('rejects a sweeper interval under a second', () => {
    const store = new SqlStore({ knex: db.knex });
    expect(() => store.startSweeper({ intervalMs: 10 })).toThrow(/intervalMs/);
    expect(() => store.startSweeper({ intervalMs: 60_000, jitter: 2 })).toThrow(/jitter/);
  });
});

describe.each(DIALECTS)('the schema on %s', (_dialect, open) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(() => db?.close());

  it('ensureSchema creates the table once and is safe to run again', async () => {
    const table = 'schema_twice';
    await ensureSchema(db.knex, { table });
    await ensureSchema(db.knex, { table });
    expect(await db.knex.schema.hasTable(table)).toBe(true);
    expect(await db.knex.schema.hasColumn(table, 'expires_at')).toBe(true);
    expect(await db.knex.schema.hasColumn(table, 'user_id')).toBe(true);
    expect(await db.knex.schema.hasColumn(table, 'created_at')).toBe(true);
    await dropSchema(db.knex, { table });
    expect(await db.knex.schema.hasTable(table)).toBe(false);
  });

  it('sessionsMigration runs under knex.migrate, up and down', async () => {
    const table = 'migrated_sessions';
    const migrations = {
      getMigrations: async () => ['20260101000000_sessions'],
      getMigrationName: (name: string) => name,
      getMigration: async () => sessionsMigration({ table }),
    };
    const config = { migrationSource: migrations, tableName: 'migrated_sessions_log' };
    await db.knex.migrate.latest(config);
    expect(await db.knex.schema.hasTable(table)).toBe(true);
    const store = new SqlStore({ knex: db.knex, table });
    expect((await store.create('m', record('migrated'))).ok).toBe(true);
    await db.knex.migrate.rollback(config, true);
    expect(await db.knex.schema.hasTable(table)).toBe(false);
    await db.knex.schema.dropTableIfExists('migrated_sessions_log');
    await db.knex.schema.dropTableIfExists('migrated_sessions_log_lock');
  });

  it('close() leaves the knex instance it was handed open', async () => {
    const table = 'left_open';
    const store = new SqlStore({ knex: db.knex, table });
    await store.ensureSchema();
    await store.close();
    await store.close();
    await expect(store.get('x')).rejects.toMatchObject({ code: 'SESS_STORE_UNAVAILABLE' });
    expect(await db.knex.schema.hasTable(table)).toBe(true);
    await dropSchema(db.knex, { table });
  });

  it('nothing is written by constructing a store', async () => {
    const table = 'never_created';
    new SqlStore({ knex: db.knex, table });
    expect(await db.knex.schema.hasTable(table)).toBe(false);
  });

  it('a row larger than maxPayloadBytes reads as corrupt, and its data never leaves the database', async () => {
    const table = 'oversized';
    const roomy = new SqlStore({ knex: db.knex, table });
    await roomy.ensureSchema();
    // Written by a store with a larger limit, or planted: 256 KiB of data.
    expect((await roomy.create('big', record('é'.repeat(128 * 1024)))).ok).toBe(true);
    expect((await roomy.create('small', record('é'.repeat(512)))).ok).toBe(true);
    const strict = new SqlStore({ knex: db.knex, table, maxPayloadBytes: 1024 });
    await expect(strict.get('big')).rejects.toMatchObject({ code: 'SESS_CORRUPT_RECORD' });
    // The limit counts UTF-8 bytes: 512 two-byte characters are exactly 1,024 bytes.
    expect((await strict.get('small'))?.data).toBe('é'.repeat(512));
    await dropSchema(db.knex, { table });
  });

  it('a missing table is SchemaMissingError on every operation, naming the fix and no session data', async () => {
    const store = new SqlStore({ knex: db.knex, table: 'no_such_table' });
    const rec = record('secret data');
    const calls = {
      get: () => store.get('secret_session_id'),
      create: () => store.create('secret_session_id', rec),
      update: () => store.update('secret_session_id', rec, { ifVersion: 'v' }),
      touch: () => store.touch('secret_session_id', rec.expiresAt),
      destroy: () => store.destroy('secret_session_id'),
      list: () => store.list(),
      count: () => store.count(),
      clearExpired: () => store.clearExpired(),
    };
    for (const [name, call] of Object.entries(calls)) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, name).toBeInstanceOf(SchemaMissingError);
      expect(error, name).toMatchObject({ code: 'SESS_SCHEMA_MISSING' });
      const message = String((error as Error).message);
      expect(message, name).toContain('ensureSchema()');
      expect(message, name).not.toContain('secret');
    }
  });

  it('ensureSchema() wraps a driver failure in a typed error', async () => {
    const closed = knex(db.knex.client.config);
    await closed.destroy();
    const error = await ensureSchema(closed, { table: 'never' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).message).toMatch(/^SQL ensureSchema failed/);
    expect((error as StoreUnavailableError).cause).toBeDefined();
  });
});

describe('SQLite on knex’s own connection', () => {
  it('sqliteConfig turns on WAL and busy_timeout in the pool’s afterCreate', async () => {
    const db = await sqliteFile();
    try {
      const [journal] = await db.knex.raw('PRAGMA journal_mode');
      const [busy] = await db.knex.raw('PRAGMA busy_timeout');
      expect(journal).toEqual({ journal_mode: 'wal' });
      expect(Object.values(busy)).toEqual([2000]);
    } finally {
      await db.close();
    }
  });

  it('an operation waits for the application’s open transaction instead of joining it', async () => {
    const db = knex(sqliteConfig(':memory:'));
    try {
      const store = new SqlStore({ knex: db });
      await store.ensureSchema();
      expect((await store.create('a', record('kept'))).ok).toBe(true);
      await db
        .transaction(async (trx) => {
          await trx('sess_sessions').where({ id: 'a' }).del();
          // Issued while the transaction is open on the only connection.
          const read = store.get('a');
          await new Promise((resolve) => setTimeout(resolve, 20));
          trx.rollback();
          // The read ran after the rollback, so it sees the row the transaction had deleted.
          expect((await read)?.data).toBe('kept');
        })
        .catch(() => undefined);
      expect((await store.get('a'))?.data).toBe('kept');
    } finally {
      await db.destroy();
    }
  });

  it('a destroyed knex instance makes every operation StoreUnavailableError', async () => {
    const db = knex(sqliteConfig(':memory:'));
    const store = new SqlStore({ knex: db });
    await store.ensureSchema();
    await store.get('warm');
    await db.destroy();
    await expect(store.get('a')).rejects.toMatchObject({ code: 'SESS_STORE_UNAVAILABLE' });
    await expect(store.create('a', record('x'))).rejects.toMatchObject({
      code: 'SESS_STORE_UNAVAILABLE',
    });
  });
});
