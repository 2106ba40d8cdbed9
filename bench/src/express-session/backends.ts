/**
 * The pairs the express-session bench compares: express-session over
 * SessStore on each sess adapter, against express-session over the store
 * apps use on that backend today. Both sides of a pair run on the same
 * servers, in processes of their own.
 *
 * `prepare` runs in the bench process (servers, scratch databases); `open`
 * runs in an app process and builds one target's express-session store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore, type SessionStore } from '@sess/core';
import { SessStore } from '@sess/express-session';
import { FileStore } from '@sess/file';
import { MemcachedClient, MemcachedStore } from '@sess/memcached';
import { RedisStore } from '@sess/redis';
import { SqlStore, sqliteConfig } from '@sess/sql';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import { ConnectSessionKnexStore } from 'connect-session-knex';
import session, { type Store } from 'express-session';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { createClient } from 'redis';
import {
  memcachedServer,
  mysqlScratch,
  mysqlServer,
  postgresScratch,
  postgresServer,
  redisServer,
} from '../servers.js';

const require = createRequire(import.meta.url);
const quiet = { warn() {}, error() {}, deprecate() {}, debug() {} };
const POOL = { min: 2, max: 10 };

/** What an app process needs to reach the backend: plain strings, passed on its command line. */
export type Reach = Record<string, string>;

export interface Prepared {
  readonly reach: Reach;
  /** Server versions and settings, recorded with the results. */
  readonly info: Record<string, string>;
  teardown(): Promise<void>;
}

export interface OpenStore {
  readonly store: Store;
  close(): Promise<void>;
}

export interface EsBackend {
  readonly name: string;
  /** The sess target first, then the peer (and variants) it is compared with. */
  readonly targets: readonly string[];
  prepare(): Promise<Prepared>;
  open(target: string, reach: Reach): Promise<OpenStore>;
}

const nothing = async () => {};

/** SessStore with lazy touches, measured next to the default on every backend. */
const LAZY = 'sess, touchAfterMs 60 s';
const isSess = (target: string) => target === 'sess' || target === LAZY;
/** Each sess target keeps its sessions in a namespace of its own. */
const space = (target: string) => (target === LAZY ? 'es_lazy' : 'es_sess');
const bridge = (store: SessionStore, target: string) =>
  new SessStore(store, target === LAZY ? { touchAfterMs: 60_000 } : {});

const memory: EsBackend = {
  name: 'memory',
  targets: ['sess', 'express-session MemoryStore', LAZY],
  prepare: async () => ({ reach: {}, info: { store: 'in the app process' }, teardown: nothing }),
  async open(target) {
    if (isSess(target)) return { store: bridge(new MemoryStore(), target), close: nothing };
    return { store: new session.MemoryStore(), close: nothing };
  },
};

const redis: EsBackend = {
  name: 'redis',
  targets: ['sess', 'connect-redis', LAZY],
  async prepare() {
    const server = await redisServer();
    return {
      reach: { url: server.url },
      info: { server: `redis (${server.origin})`, client: 'node-redis 5.12.1 per app process' },
      teardown: () => server.dispose(),
    };
  },
  async open(target, reach) {
    if (!reach.url) throw new Error('The redis backend needs the url of its server.');
    const client = createClient({ url: reach.url });
    client.on('error', () => {});
    await client.connect();
    const close = async () => void (await client.close());
    if (isSess(target)) {
      return {
        store: bridge(new RedisStore({ client, prefix: `${space(target)}:` }), target),
        close,
      };
    }
    return { store: new ConnectRedisStore({ client, prefix: 'es-peer:' }), close };
  },
};

const memcached: EsBackend = {
  name: 'memcached',
  targets: ['sess', 'connect-memcached', LAZY],
  async prepare() {
    const server = await memcachedServer(['-m', '256']);
    return {
      reach: { location: server.location },
      info: { server: `memcached (${server.origin})` },
      teardown: () => server.dispose(),
    };
  },
  async open(target, reach) {
    const location = reach.location as string;
    if (isSess(target)) {
      const client = new MemcachedClient({ servers: [location] });
      const store = bridge(new MemcachedStore({ client, prefix: `${space(target)}:` }), target);
      return { store, close: () => client.close() };
    }
    const factory = require('connect-memcached') as (s: unknown) => new (o: object) => Store;
    const store = new (factory(session))({ hosts: [location], prefix: 'es-peer:' });
    return {
      store,
      close: async () => (store as unknown as { client: { end(): void } }).client.end(),
    };
  },
};

/** A knex-backed SessStore on a table of its own. */
async function sqlSess(knex: Knex, target: string): Promise<OpenStore> {
  const store = new SqlStore({ knex, table: space(target) });
  await store.ensureSchema();
  return { store: bridge(store, target), close: () => knex.destroy() };
}

async function knexPeer(knex: Knex): Promise<OpenStore> {
  const store = new ConnectSessionKnexStore({ knex, tableName: 'es_peer', cleanupInterval: 0 });
  await store.ready;
  return { store: store as unknown as Store, close: () => knex.destroy() };
}

const sqlSqlite: EsBackend = {
  name: 'sql-sqlite',
  targets: ['sess', 'connect-session-knex', LAZY],
  async prepare() {
    const dir = await mkdtemp(join(tmpdir(), 'sess-bench-es-sqlite-'));
    return {
      reach: { dir },
      info: { sqlite: 'one database file per store, WAL' },
      teardown: () => rm(dir, { recursive: true, force: true }),
    };
  },
  async open(target, reach) {
    const file = join(reach.dir as string, `${target}.db`);
    const knex = knexFactory({ ...sqliteConfig(file), log: quiet });
    if (isSess(target)) return sqlSess(knex, target);
    return knexPeer(knex);
  },
};

const sqlPostgres: EsBackend = {
  name: 'sql-postgres',
  targets: ['sess', 'connect-pg-simple', LAZY],
  async prepare() {
    const server = await postgresServer();
    const scratch = await postgresScratch(server.url);
    return {
      reach: { url: scratch.where },
      info: {
        postgresql: `${scratch.version} (${server.origin})`,
        pool: `${POOL.max} connections per app process`,
      },
      async teardown() {
        await scratch.drop();
        await server.dispose();
      },
    };
  },
  async open(target, reach) {
    const url = reach.url as string;
    if (isSess(target)) {
      const knex = knexFactory({ client: 'pg', connection: url, pool: POOL, log: quiet });
      return sqlSess(knex, target);
    }
    const pool = new pg.Pool({ connectionString: url, max: POOL.max });
    const PgStore = require('connect-pg-simple')(session) as new (
      o: object,
    ) => Store & { close(): Promise<void> };
    const store = new PgStore({ pool, createTableIfMissing: true, pruneSessionInterval: false });
    return {
      store,
      async close() {
        await store.close();
        await pool.end();
      },
    };
  },
};

const sqlMysql: EsBackend = {
  name: 'sql-mysql',
  targets: ['sess', 'connect-session-knex', LAZY],
  async prepare() {
    const server = await mysqlServer();
    const scratch = await mysqlScratch(server.login);
    return {
      reach: { connection: JSON.stringify(scratch.where) },
      info: {
        mariadb: `${scratch.version} (${server.origin})`,
        pool: `${POOL.max} connections per app process`,
      },
      async teardown() {
        await scratch.drop();
        await server.dispose();
      },
    };
  },
  async open(target, reach) {
    const connection = JSON.parse(reach.connection as string) as object;
    const knex = knexFactory({ client: 'mysql2', connection, pool: POOL, log: quiet });
    if (isSess(target)) return sqlSess(knex, target);
    return knexPeer(knex);
  },
};

const file: EsBackend = {
  name: 'file',
  // session-file-store fsyncs every write (write-file-atomic); FileStore does when asked.
  targets: ['sess', 'session-file-store', LAZY, 'sess-fsync'],
  async prepare() {
    const parent = process.env.SESS_BENCH_FILE_DIR || tmpdir();
    const dir = await mkdtemp(join(parent, 'sess-bench-es-file-'));
    return {
      reach: { dir },
      info: { fsync: 'sess off, sess-fsync on, session-file-store on (always)' },
      teardown: () => rm(dir, { recursive: true, force: true }),
    };
  },
  async open(target, reach) {
    const directory = join(reach.dir as string, target);
    if (isSess(target) || target === 'sess-fsync') {
      const store = new FileStore({ directory, fsync: target === 'sess-fsync' });
      return { store: bridge(store, target), close: () => store.close() };
    }
    const factory = require('session-file-store') as (s: unknown) => new (o: object) => Store;
    const store = new (factory(session))({ path: directory, reapInterval: -1, logFn: () => {} });
    return { store, close: nothing };
  },
};

export const BACKENDS: readonly EsBackend[] = [
  memory,
  redis,
  memcached,
  sqlSqlite,
  sqlPostgres,
  sqlMysql,
  file,
];
