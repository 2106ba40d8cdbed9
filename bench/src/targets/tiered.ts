/**
 * @sess/tiered: Redis over PostgreSQL and Memcached over PostgreSQL, against
 * each of their stores alone, all on the same private servers. In the
 * shared tables `raw` is SqlStore on PostgreSQL alone (so "vs raw" is the
 * speed-up over it) and the peers are RedisStore and MemcachedStore alone.
 *
 * The shared phases read each session once, right after creating it: for a
 * tiered store that first read is a miss, by design (sessions are cached when
 * read). `pnpm --filter @sess/bench tiered` (src/tiered.ts) also measures
 * reads of cached sessions, the hit ratio of an evicting Redis, and what
 * the alternatives to the store's design would cost.
 */
import { execFileSync } from 'node:child_process';
import type { SessionStore } from '@sess/core';
import { MemcachedClient, MemcachedStore } from '@sess/memcached';
import { RedisStore } from '@sess/redis';
import { SqlStore } from '@sess/sql';
import { startRedis } from '@sess/test-servers';
import { TieredStore } from '@sess/tiered';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { createClient } from 'redis';
import { memcachedServer, postgresServer, redisServer, scratchDatabase } from '../servers.js';
import { sessTarget } from '../sess-target.js';
import type { BenchBackend, BenchTarget } from '../target.js';

const quiet = { warn() {}, error() {}, deprecate() {}, debug() {} };

/** Servers and clients the tiered cases share; `teardown` stops what was started. */
export interface TieredBench {
  readonly redis: ReturnType<typeof createClient>;
  readonly memcached: MemcachedClient;
  readonly knex: Knex;
  readonly info: Record<string, string>;
  /** A SqlStore on a table of its own. */
  sql(table: string): Promise<SqlStore>;
  teardown(): Promise<void>;
}

export async function startTieredBench(redisArgs: string[] = []): Promise<TieredBench> {
  const [redisAt, memcachedAt, postgresAt] = await Promise.all([
    redisArgs.length > 0 ? privateRedis(redisArgs) : redisServer(),
    memcachedServer(['-m', '256']),
    postgresServer(),
  ]);
  const database = scratchDatabase();
  const admin = new pg.Client({ connectionString: postgresAt.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(postgresAt.url);
  url.pathname = `/${database}`;
  const knex = knexFactory({
    client: 'pg',
    connection: url.href,
    pool: { min: 2, max: 10 },
    log: quiet,
  });
  const redis = createClient({ url: redisAt.url });
  redis.on('error', () => {});
  await redis.connect();
  const memcached = new MemcachedClient({ servers: [memcachedAt.location] });
  const { rows } = await admin.query('SHOW server_version');
  const redisInfo = String(await redis.sendCommand(['INFO', 'server']));
  return {
    redis,
    memcached,
    knex,
    info: {
      postgresql: `${rows[0]?.server_version} (${postgresAt.origin}), 10 connections per store`,
      redis: `${/redis_version:(\S+)/.exec(redisInfo)?.[1] ?? '?'} (${redisAt.origin}), node-redis 5.12.1, one connection`,
      memcached: `${execFileSync('memcached', ['-V']).toString().trim()} (${memcachedAt.origin})`,
    },
    async sql(table) {
      const store = new SqlStore({ knex, table });
      await store.ensureSchema();
      return store;
    },
    async teardown() {
      await redis.close();
      await memcached.close();
      await knex.destroy();
      await admin.query(`DROP DATABASE ${database}`);
      await admin.end();
      await Promise.all([redisAt.dispose(), memcachedAt.dispose(), postgresAt.dispose()]);
    },
  };
}

/** A Redis started with settings of its own (never a shared one: they reconfigure it). */
async function privateRedis(args: string[]) {
  return { ...(await startRedis(args)), origin: `private (${args.join(' ')})` };
}

/** The stores measured: each tiered pair, and each of its parts alone. */
export async function tieredStores(bench: TieredBench): Promise<Record<string, SessionStore>> {
  const redisCache = new RedisStore({ client: bench.redis, prefix: 'tr:' });
  const memcachedCache = new MemcachedStore({ client: bench.memcached, prefix: 'tm:' });
  return {
    'tiered redis+pg': new TieredStore({ cache: redisCache, durable: await bench.sql('tiered_r') }),
    'tiered memcached+pg': new TieredStore({
      cache: memcachedCache,
      durable: await bench.sql('tiered_m'),
    }),
    'redis alone': new RedisStore({ client: bench.redis, prefix: 'ra:' }),
    'memcached alone': new MemcachedStore({ client: bench.memcached, prefix: 'ma:' }),
    'sql-postgres alone': await bench.sql('sql_alone'),
  };
}

export const backend: BenchBackend = {
  name: 'tiered',
  async setup() {
    const bench = await startTieredBench();
    const stores = await tieredStores(bench);
    const role = (name: string): BenchTarget['role'] =>
      name.startsWith('tiered') ? 'sess' : name.startsWith('sql') ? 'raw' : 'peer';
    return {
      targets: Object.entries(stores).map(([name, store]) => ({
        ...sessTarget(store, name),
        role: role(name),
      })),
      info: bench.info,
      teardown: () => bench.teardown(),
    };
  },
};
