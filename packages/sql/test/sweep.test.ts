import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableRef } from '../src/dialect.js';
import { dropSchema, SqlStore } from '../src/index.js';
import { sweepLockSql } from '../src/sweep-lock.js';
import type { TestDatabase } from './support/databases.js';
import { DIALECTS } from './support/dialects.js';
import { fillExpired, rowCount } from './support/fill.js';

/** The rows of a knex.raw result, whatever the driver. */
function rowsOf(result: unknown): Array<Record<string, unknown>> {
  const r = result as
    | { rows?: Array<Record<string, unknown>> }
    | Array<Array<Record<string, unknown>>>;
  return Array.isArray(r) ? (r[0] ?? []) : (r.rows ?? []);
}

const HOUR = 3_600_000;
const tableName = () => `sweep_${randomBytes(4).toString('hex')}`;

describe.each(DIALECTS)('sweeping on %s', (dialect, open) => {
  let db: TestDatabase;
  const tables: string[] = [];
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    for (const table of tables) await dropSchema(db.knex, { table });
    await db?.close();
  });

  async function freshStore(
    options: { knex?: Knex; table?: string; sweepBatchSize?: number } = {},
  ) {
    const table = options.table ?? tableName();
    if (!tables.includes(table)) tables.push(table);
    const store = new SqlStore({ knex: db.knex, table, ...options });
    await store.ensureSchema();
    return { store, table };
  }

  it('clearExpired deletes in bounded batches until none is left and returns the count', async () => {
    const { store, table } = await freshStore({ sweepBatchSize: 1_000 });
    await fillExpired(db.knex, dialect, table, 2_500);
    const live = await store.create('live', { data: 'kept', expiresAt: Date.now() + HOUR });
    expect(live.ok).toBe(true);
    expect(await store.clearExpired()).toBe(2_500);
    expect(await rowCount(db.knex, table)).toBe(1);
    expect((await store.get('live'))?.data).toBe('kept');
    expect(await store.clearExpired()).toBe(0);
    await store.close();
  });

  it('sweep() reports every batch and stops after the one under way once aborted', async () => {
    const { store, table } = await freshStore({ sweepBatchSize: 100 });
    await fillExpired(db.knex, dialect, table, 1_000);
    const totals: number[] = [];
    const stop = new AbortController();
    const report = await store.sweep({
      onBatch: (deleted) => {
        totals.push(deleted);
        if (deleted >= 300) stop.abort();
      },
      signal: stop.signal,
    });
    expect(totals).toEqual([100, 200, 300]);
    expect(report).toMatchObject({ deleted: 300, skipped: false });
    expect((await store.sweep()).deleted).toBe(700);
    await store.close();
  });

  it('sweep() reports how many it deleted and in how many batches', async () => {
    const { store, table } = await freshStore({ sweepBatchSize: 400 });
    await fillExpired(db.knex, dialect, table, 1_000);
    const report = await store.sweep();
    expect(report).toMatchObject({ deleted: 1_000, batches: 3, skipped: false });
    expect(report.durationMs).toBeGreaterThanOrEqual(0);
    await store.close();
  });

  it('3 concurrent sweepers on 100k expired rows neither deadlock nor delete a live row', async () => {
    const { store, table } = await freshStore();
    await fillExpired(db.knex, dialect, table, 100_000);
    const liveIds = Array.from({ length: 200 }, (_, i) => `live_${i}`);
    for (const id of liveIds) {
      expect((await store.create(id, { data: id, expiresAt: Date.now() + HOUR })).ok).toBe(true);
    }
    // Three instances, each with its own connections, as three processes would have.
    const instances = [db.connect(), db.connect(), db.connect()];
    const sweepers = instances.map((knex) => new SqlStore({ knex, table, sweepBatchSize: 500 }));
    let sweeping = true;
    // Writers keep creating and touching live sessions while the sweepers run.
    const written: string[] = [];
    const writer = async (w: number) => {
      for (let i = 0; sweeping; i++) {
        const id = `new_${w}_${i}`;
        expect((await store.create(id, { data: id, expiresAt: Date.now() + HOUR })).ok).toBe(true);
        written.push(id);
        const touched = liveIds[(w * 31 + i) % liveIds.length] as string;
        expect(await store.touch(touched, Date.now() + 2 * HOUR)).toBe(true);
        // SQLite answers synchronously: let the sweepers' turns come.
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const writers = [writer(0), writer(1)];
    try {
      const counts = await Promise.all(sweepers.map((s) => s.clearExpired()));
      sweeping = false;
      await Promise.all(writers);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(100_000);
    } finally {
      sweeping = false;
      await Promise.allSettled(writers);
      await Promise.all(sweepers.map((s) => s.close()));
      await Promise.all(instances.map((knex) => knex.destroy()));
    }
    expect(await rowCount(db.knex, table)).toBe(liveIds.length + written.length);
    for (const id of [...liveIds, ...written]) expect((await store.get(id))?.data).toBe(id);
    await store.close();
  });
});

describe.each(DIALECTS.filter(([dialect]) => dialect !== 'sqlite'))(
  'the sweep lock on %s',
  (dialect, open) => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db?.close());

    it('lets one instance sweep a table at a time; the others skip', async () => {
      const table = tableName();
      const store = new SqlStore({ knex: db.knex, table });
      await store.ensureSchema();
      await fillExpired(db.knex, dialect, table, 1_000);
      const lock = sweepLockSql(dialect, tableRef(dialect, table, undefined));
      if (!lock) throw new Error(`${dialect} has a sweep lock`);
      // Another instance holds the lock: a transaction pins its connection.
      const holder = await db.knex.transaction();
      try {
        const [held] = rowsOf(await holder.raw(lock.acquire, lock.params as Knex.RawBinding[]));
        expect(Number(Object.values(held ?? {})[0])).toBe(1);
        expect(await store.sweep()).toMatchObject({ skipped: true, deleted: 0, batches: 0 });
        expect(await rowCount(db.knex, table)).toBe(1_000);
        await holder.raw(lock.release, lock.params as Knex.RawBinding[]);
      } finally {
        await holder.rollback();
      }
      expect(await store.sweep()).toMatchObject({ skipped: false, deleted: 1_000 });
      await store.close();
      await dropSchema(db.knex, { table });
    });
  },
);
