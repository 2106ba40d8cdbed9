import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, SqlStore } from '../src/index.js';
import type { TestDatabase } from './support/databases.js';
import { DIALECTS } from './support/dialects.js';

const HOUR = 3_600_000;
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  max: number;
}

describe.each(DIALECTS.filter(([dialect]) => dialect !== 'sqlite'))(
  'connections on %s',
  (_dialect, open) => {
    let db: TestDatabase;
    let store: SqlStore;
    const table = 'connections_test';
    const pool = () => (db.knex.client as { pool: TarnPool }).pool;
    beforeAll(async () => {
      db = await open();
      store = new SqlStore({ knex: db.knex, table });
      await store.ensureSchema();
      for (let i = 0; i < 64; i++) {
        await store.create(`c${i}`, { data: `d${i}`, expiresAt: Date.now() + HOUR });
      }
    });
    afterAll(async () => {
      await store?.close();
      await dropSchema(db.knex, { table });
      await db?.close();
    });

    it('hands every connection back to knex’s pool once the load stops', async () => {
      const reads = await Promise.all(
        Array.from({ length: 200 }, (_, i) => store.get(`c${i % 64}`)),
      );
      expect(reads.every((r) => r !== null)).toBe(true);
      await nextTurn();
      await nextTurn();
      expect(pool().numUsed()).toBe(0);
    });

    it('never holds more connections than the pool’s max', async () => {
      let most = 0;
      const reads = Array.from({ length: 300 }, async (_, i) => {
        const read = await store.get(`c${i % 64}`);
        most = Math.max(most, pool().numUsed());
        return read;
      });
      await Promise.all(reads);
      expect(most).toBeLessThanOrEqual(pool().max);
    });

    it('the application’s own queries get connections while the store is busy', async () => {
      let busy = true;
      const worker = async () => {
        while (busy) await store.get('c1');
      };
      const workers = Array.from({ length: 64 }, worker);
      try {
        // The application's queries queue in knex's pool behind the store's
        // statements, and are served as soon as one finishes.
        for (let i = 0; i < 5; i++) await db.knex.raw('SELECT 1');
      } finally {
        busy = false;
        await Promise.all(workers);
      }
    });

    it('close() returns the connections it kept at once', async () => {
      const other = new SqlStore({ knex: db.knex, table });
      await Promise.all(Array.from({ length: 20 }, () => other.get('c2')));
      await other.close();
      expect(pool().numUsed()).toBe(0);
    });
  },
);
