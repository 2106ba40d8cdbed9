import { randomBytes } from 'node:crypto';
import type { Clock, SessionStore } from '@sess/core';
import { MemcachedClient, MemcachedStore } from '@sess/memcached';
import { RedisStore } from '@sess/redis';
import { dropSchema, SqlStore, sqliteConfig } from '@sess/sql';
import {
  type MemcachedServer,
  type PostgresServer,
  type RedisServer,
  startMemcached,
  startPostgres,
  startRedis,
} from '@sess/test-servers';
import knex, { type Knex } from 'knex';
import { createClient } from 'redis';
import { TieredStore, type TieredStoreOptions } from '../../src/index.js';

/** knex logs every failed connection; the fault tests cause them on purpose. */
const quietLog = { warn() {}, error() {}, deprecate() {}, debug() {} };

/** The machine's shared PostgreSQL: each run works in a schema of its own. */
const SHARED_POSTGRES =
  process.env.SESS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** One kind of cache, on a private server: opens a store per namespace, plants damage. */
export interface CacheServer {
  readonly server: RedisServer | MemcachedServer;
  /** Sends a raw command (Redis only). */
  readonly command?: (args: string[]) => Promise<unknown>;
  open(namespace: string, options?: { operationTimeoutMs?: number }): SessionStore;
  /** Writes bytes that are no entry of ours under a session id. */
  plant(namespace: string, id: string, text: string): Promise<void>;
  close(): Promise<void>;
}

/** One kind of durable store: opens a store (and its table) per namespace. */
export interface DurableDatabase {
  readonly knex: Knex;
  open(namespace: string, now?: Clock): Promise<SqlStore>;
  /** Makes a stored record unreadable (bytes that are not UTF-8). */
  corrupt(namespace: string, id: string): Promise<void>;
  drop(namespace: string): Promise<void>;
  close(): Promise<void>;
}

// Reconnect quickly, so the cache is back soon after a restart.
const backoff = (attempt: number) => Math.min(50 * attempt, 500);

export async function redisCache(serverArgs: readonly string[] = []): Promise<CacheServer> {
  const server = await startRedis(serverArgs);
  const client = createClient({ url: server.url, socket: { reconnectStrategy: backoff } });
  client.on('error', () => {});
  await client.connect();
  return {
    server,
    command: (args) => client.sendCommand(args),
    open: (namespace, options = {}) =>
      new RedisStore({ client, prefix: `${namespace}:`, ...options }),
    async plant(namespace, id, text) {
      // The record key of @sess/redis: <prefix>|s|<id>.
      await client.sendCommand(['SET', `${namespace}:|s|${id}`, text, 'PX', '3600000']);
    },
    async close() {
      await client.close().catch(() => undefined);
      await server.dispose();
    },
  };
}

export async function memcachedCache(): Promise<CacheServer> {
  const server = await startMemcached();
  const client = new MemcachedClient({ servers: [server.location] });
  return {
    server,
    open: (namespace, options = {}) =>
      new MemcachedStore({ client, prefix: `${namespace}:`, ...options }),
    async plant(namespace, id, text) {
      const key = `${namespace}:${id}`;
      await client.delete(key);
      await client.add(key, Buffer.from(text), {
        exptime: Math.ceil(Date.now() / 1000) + 3600,
        flags: 0,
      });
    },
    async close() {
      await client.close();
      await server.dispose();
    },
  };
}

function database(db: Knex, cleanup: () => Promise<void>, bytea: boolean): DurableDatabase {
  return {
    knex: db,
    async open(namespace, now) {
      const store = new SqlStore({ knex: db, table: namespace, ...(now ? { now } : {}) });
      await store.ensureSchema();
      return store;
    },
    async corrupt(namespace, id) {
      const bad = bytea ? `'\\xc328'::bytea` : `X'C328'`;
      await db.raw(`UPDATE "${namespace}" SET data = ${bad} WHERE id = ?`, [id]);
    },
    drop: (namespace) => dropSchema(db, { table: namespace }),
    close: cleanup,
  };
}

export async function sqliteDatabase(): Promise<DurableDatabase> {
  const db = knex({ ...sqliteConfig(':memory:'), log: quietLog });
  return database(db, () => db.destroy(), false);
}

/** A schema of its own on the shared PostgreSQL. */
export async function sharedPostgres(): Promise<DurableDatabase> {
  const schema = `tiered_${randomBytes(5).toString('hex')}`;
  const admin = knex({ client: 'pg', connection: SHARED_POSTGRES, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE SCHEMA ${schema}`);
  await admin.destroy();
  const db = knex({
    client: 'pg',
    connection: SHARED_POSTGRES,
    searchPath: [schema],
    pool: { min: 0, max: 10 },
    log: quietLog,
  });
  return database(
    db,
    async () => {
      await db.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db.destroy();
    },
    true,
  );
}

/** A private PostgreSQL, for tests that stop it. */
export async function privatePostgres(): Promise<DurableDatabase & { server: PostgresServer }> {
  const server = await startPostgres();
  const db = knex({
    client: 'pg',
    connection: server.url,
    pool: { min: 0, max: 10 },
    log: quietLog,
  });
  const base = database(
    db,
    async () => {
      await db.destroy();
      await server.dispose();
    },
    true,
  );
  return { ...base, server };
}

export interface Tiers {
  readonly store: TieredStore;
  readonly cache: SessionStore;
  readonly durable: SessionStore;
  dispose(): Promise<void>;
}

/** A tiered store over a fresh cache namespace and a fresh table. */
export async function openTiers(
  cache: CacheServer,
  db: DurableDatabase,
  namespace: string,
  options: Partial<TieredStoreOptions> & { cacheOperationTimeoutMs?: number } = {},
): Promise<Tiers> {
  const { cacheOperationTimeoutMs, ...tiered } = options;
  const cacheStore = cache.open(
    namespace,
    cacheOperationTimeoutMs ? { operationTimeoutMs: cacheOperationTimeoutMs } : {},
  );
  const durable = await db.open(namespace, tiered.now);
  const store = new TieredStore({ cache: cacheStore, durable, ...tiered });
  return {
    store,
    cache: cacheStore,
    durable,
    async dispose() {
      await store.close();
      // Leave nothing behind in the cache (Redis can clear a namespace; memcached items expire).
      await cacheStore.clear?.().catch(() => undefined);
      await cacheStore.close();
      await durable.close();
      await db.drop(namespace);
    },
  };
}

let sequence = 0;
const runId = randomBytes(3).toString('hex');

/** A namespace unique to this run: a key prefix and an SQL identifier. */
export function nextNamespace(): string {
  return `t${runId}_${(sequence++).toString(36)}`;
}
