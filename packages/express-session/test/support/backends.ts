import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore, type SessionStore } from '@sess/core';
import { FileStore } from '@sess/file';
import { MemcachedClient, MemcachedStore } from '@sess/memcached';
import { RedisStore } from '@sess/redis';
import { dropSchema, SqlStore } from '@sess/sql';
import { startMemcached, startRedis } from '@sess/test-servers';
import knexFactory, { type Knex } from 'knex';
import { createClient } from 'redis';

/** The machine's shared PostgreSQL; tests work in tables of their own and drop them. */
export const SHARED_POSTGRES =
  process.env.SESS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A name no other test run uses, valid as a key prefix and an SQL identifier. */
export function uniqueName(label: string): string {
  return `${label}_${randomBytes(5).toString('hex')}`;
}

/** A sess adapter opened for a test file: `open()` gives a fresh, empty store each time. */
export interface Backend {
  readonly name: string;
  open(): Promise<SessionStore>;
  close(): Promise<void>;
}

export type BackendName = 'memory' | 'redis' | 'memcached' | 'sql' | 'file';
export const BACKENDS: readonly BackendName[] = ['memory', 'redis', 'memcached', 'sql', 'file'];

export const quietKnexLog = { warn() {}, error() {}, deprecate() {}, debug() {} };

export function postgresKnex(url = SHARED_POSTGRES): Knex {
  return knexFactory({
    client: 'pg',
    connection: url,
    pool: { min: 0, max: 10 },
    log: quietKnexLog,
  });
}

/** Starts (or connects to) what the adapter needs; each store gets its own namespace. */
export async function openBackend(name: BackendName): Promise<Backend> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  switch (name) {
    case 'memory':
      return { name, open: async () => new MemoryStore(), close };
    case 'redis': {
      const server = await startRedis();
      const client = createClient({ url: server.url });
      client.on('error', () => {});
      await client.connect();
      cleanups.push(
        () => server.dispose(),
        () => client.close(),
      );
      return {
        name,
        open: async () => new RedisStore({ client, prefix: `${uniqueName('t')}:` }),
        close,
      };
    }
    case 'memcached': {
      const server = await startMemcached();
      const client = new MemcachedClient({ servers: [server.location] });
      cleanups.push(
        () => server.dispose(),
        () => client.close(),
      );
      return {
        name,
        open: async () => new MemcachedStore({ client, prefix: `${uniqueName('t')}:` }),
        close,
      };
    }
    case 'sql': {
      const knex = postgresKnex();
      const tables: string[] = [];
      cleanups.push(
        () => knex.destroy(),
        async () => {
          for (const table of tables) await dropSchema(knex, { table });
        },
      );
      return {
        name,
        async open() {
          const table = uniqueName('sess_es');
          tables.push(table);
          const store = new SqlStore({ knex, table });
          await store.ensureSchema();
          return store;
        },
        close,
      };
    }
    case 'file': {
      const root = await mkdtemp(join(tmpdir(), 'sess-express-session-'));
      cleanups.push(() => rm(root, { recursive: true, force: true }));
      let count = 0;
      return {
        name,
        open: async () => new FileStore({ directory: join(root, String(count++)) }),
        close,
      };
    }
  }
}
