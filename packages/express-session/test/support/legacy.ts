import { createRequire } from 'node:module';
import type { SessionStore } from '@sess/core';
import { RedisStore } from '@sess/redis';
import { dropSchema, SqlStore } from '@sess/sql';
import { startRedis } from '@sess/test-servers';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import session, { type SessionData, type Store } from 'express-session';
import pg from 'pg';
import { createClient } from 'redis';
import { postgresKnex, SHARED_POSTGRES, uniqueName } from './backends.js';

const require = createRequire(import.meta.url);

/** A real express-session store to migrate from, and the sess store to migrate into. */
export interface LegacyFixture {
  readonly name: 'connect-redis' | 'connect-pg-simple';
  /**
   * A fresh pair, in namespaces no other test uses. `operationTimeoutMs`
   * bounds the sess store's calls (default: the store's own, 2 s).
   */
  open(options?: { operationTimeoutMs?: number }): Promise<{ legacy: Store; sess: SessionStore }>;
  /** Whether the legacy store lists its sids itself (`ids()` or `all()`). */
  readonly lists: boolean;
  /** The sids a legacy store of `open()` holds, looked up behind the store when it cannot list. */
  ids(legacy: Store): Promise<string[]>;
  close(): Promise<void>;
}

/** connect-redis 9 and @sess/redis on one private Redis, each under its own prefix. */
export async function connectRedis(): Promise<LegacyFixture> {
  const server = await startRedis();
  const client = createClient({ url: server.url });
  client.on('error', () => {});
  await client.connect();
  return {
    name: 'connect-redis',
    async open(options = {}) {
      const name = uniqueName('m');
      return {
        legacy: new ConnectRedisStore({ client, prefix: `${name}:legacy:` }),
        sess: new RedisStore({ client, prefix: `${name}:sess:`, ...options }),
      };
    },
    lists: true,
    ids: (legacy) =>
      new Promise((resolve, reject) =>
        (legacy as ConnectRedisStore).ids((error?: unknown, ids?: string[]) =>
          error ? reject(error) : resolve(ids ?? []),
        ),
      ),
    async close() {
      await client.close();
      await server.dispose();
    },
  };
}

type PgStoreClass = new (options: object) => Store & { close(): Promise<void> };

/**
 * connect-pg-simple 10 and @sess/sql on PostgreSQL (the shared server unless
 * `url` names another), each in a table of its own, created here and dropped
 * on close.
 */
export async function connectPgSimple(url = SHARED_POSTGRES): Promise<LegacyFixture> {
  const PgStore = require('connect-pg-simple')(session) as PgStoreClass;
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const knex = postgresKnex(url);
  const legacyTables = new Map<Store, string>();
  const sessTables: string[] = [];
  const stores: Array<{ close(): Promise<void> }> = [];
  return {
    name: 'connect-pg-simple',
    lists: false,
    async open(options = {}) {
      const legacyTable = uniqueName('legacy_es');
      const sessTable = uniqueName('sess_es');
      const legacy = new PgStore({ pool, tableName: legacyTable, pruneSessionInterval: false });
      // connect-pg-simple's own table.sql, with an index name of this table's own
      // (its fixed index name would clash between tables of one schema).
      await pool.query(`CREATE TABLE "${legacyTable}" (
        sid varchar NOT NULL PRIMARY KEY,
        sess json NOT NULL,
        expire timestamp(6) NOT NULL
      )`);
      await pool.query(`CREATE INDEX "${legacyTable}_expire" ON "${legacyTable}" (expire)`);
      legacyTables.set(legacy, legacyTable);
      stores.push(legacy);
      sessTables.push(sessTable);
      const sess = new SqlStore({ knex, table: sessTable, ...options });
      await sess.ensureSchema();
      return { legacy, sess };
    },
    async ids(legacy) {
      const table = legacyTables.get(legacy);
      const { rows } = await pool.query<{ sid: string }>(
        `SELECT sid FROM "${table}" WHERE expire > now()`,
      );
      return rows.map((row) => row.sid);
    },
    async close() {
      for (const store of stores) await store.close();
      for (const table of legacyTables.values())
        await pool.query(`DROP TABLE IF EXISTS "${table}"`);
      for (const table of sessTables) await dropSchema(knex, { table });
      await pool.end();
      await knex.destroy();
    },
  };
}

export function legacySet(legacy: Store, sid: string, data: SessionData): Promise<void> {
  return new Promise((resolve, reject) =>
    legacy.set(sid, data, (error?: unknown) => (error ? reject(error) : resolve())),
  );
}

export function legacyGet(legacy: Store, sid: string): Promise<SessionData | null> {
  return new Promise((resolve, reject) =>
    legacy.get(sid, (error: unknown, found?: SessionData | null) =>
      error ? reject(error) : resolve(found ?? null),
    ),
  );
}
