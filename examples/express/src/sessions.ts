import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SessionManager } from '@sess/core';
import { SqlStore, sqliteConfig } from '@sess/sql';
import knex from 'knex';

/**
 * Sessions in an SQLite file: the table is created if missing, and expired
 * sessions are swept every ten minutes.
 */
export async function openSessions(file: string) {
  await mkdir(dirname(file), { recursive: true });
  const db = knex(sqliteConfig(file));
  const store = new SqlStore({ knex: db });
  await store.ensureSchema();
  store.startSweeper({ intervalMs: 10 * 60_000 });
  return {
    manager: new SessionManager({ store, idleTimeoutMs: 30 * 60_000 }),
    async close() {
      await store.close();
      await db.destroy();
    },
  };
}
