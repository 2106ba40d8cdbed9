import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MemoryStore, type SessionStore } from '@sess/core';
import { withTimeout } from '@sess/core/store-kit';
import type * as File from '@sess/file';
import type * as Memcached from '@sess/memcached';
import type * as Redis from '@sess/redis';
import type * as Sql from '@sess/sql';
import type { Knex } from 'knex';

/** A store the demo opened, and how to let go of it. */
export interface OpenedStore {
  readonly store: SessionStore;
  /** What to print: the URL without credentials. */
  readonly description: string;
  close(): Promise<void>;
}

type Opener = (url: URL) => Promise<Omit<OpenedStore, 'description'>>;

/**
 * The store registry: one entry per URL scheme of `SESS_STORE`. An adapter
 * package is imported only when its scheme is used, so the demo runs with
 * just the packages it needs.

 */
const registry: Record<string, Opener> = {
  'memory:': async () => {
    const store = new MemoryStore({ maxEntries: 100_000 });
    return { store, close: () => store.close() };
  },
  'sqlite:': adapter<typeof Sql>('@sess/sql', async (sql, url) => {
    // sqlite:./.data/demo.db is a path relative to the working directory.
    const file = decodeURIComponent(url.pathname);
    await mkdir(dirname(file), { recursive: true });
    return openSql(sql, sql.sqliteConfig(file));
  }),
  'file:': adapter<typeof File>('@sess/file', async ({ FileStore }, url) => {
    // file:./.data/sessions is a directory relative to the working directory.
    const store = new FileStore({ directory: decodeURIComponent(url.pathname) });
    store.startSweeper({ intervalMs: 10 * 60_000 });
    return { store, close: () => store.close() };
  }),
  'redis:': adapter<typeof Redis>('@sess/redis', async ({ RedisStore }, url) => {
    const { createClient } = await import('redis');
    const client = createClient({ url: url.href });
    client.on('error', (error) => console.error('redis:', error.message));
    try {
      // node-redis keeps retrying a server that is not there: give up on start-up instead.
      await withTimeout(client.connect(), 5_000, 'Redis connect');
    } catch (error) {
      client.destroy();
      throw error;
    }
    return {
      // The store never closes a client it was given: the demo made it, so the demo closes it.
      store: new RedisStore({ client, prefix: 'sess-demo:' }),
      close: async () => {
        client.destroy();
      },
    };
  }),
  'memcached:': adapter<typeof Memcached>('@sess/memcached', async ({ MemcachedStore }, url) => {
    // The store opens its own client (and closes it in close()).
    const store = new MemcachedStore({
      servers: [`${url.hostname}:${url.port || 11211}`],
      prefix: 'sess-demo:',
    });
    return { store, close: () => store.close() };
  }),
  'postgres:': adapter<typeof Sql>('@sess/sql', (sql, url) =>
    openSql(sql, { client: 'pg', connection: url.href }),
  ),
  'postgresql:': adapter<typeof Sql>('@sess/sql', (sql, url) =>
    openSql(sql, { client: 'pg', connection: url.href }),
  ),
  'mysql:': adapter<typeof Sql>('@sess/sql', (sql, url) =>
    openSql(sql, { client: 'mysql2', connection: url.href }),
  ),
};

/**
 * A SQL store on a knex instance the demo owns: the table is created if
 * missing, and a sweeper clears expired sessions every ten minutes.
 */
async function openSql(
  sql: typeof Sql,
  config: Knex.Config,
): Promise<Omit<OpenedStore, 'description'>> {
  const { default: knex } = await import('knex');
  const db = knex(config);
  try {
    const store = new sql.SqlStore({ knex: db });
    await store.ensureSchema();
    store.startSweeper({ intervalMs: 10 * 60_000, immediate: true });
    return {
      store,
      async close() {
        // The store leaves the knex instance open: the demo made it, so the demo destroys it.
        await store.close();
        await db.destroy();
      },
    };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

/** The store used when `SESS_STORE` is not set: SQLite, embedded, survives restarts. */
export const DEFAULT_STORE_URL = 'sqlite:./.data/demo.db';

/** Opens the store a `SESS_STORE` URL names. */
export async function openStore(spec: string = DEFAULT_STORE_URL): Promise<OpenedStore> {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new Error(`SESS_STORE must be a URL such as memory: or redis://127.0.0.1:6379.`);
  }
  const open = registry[url.protocol];
  if (!open) {
    throw new Error(
      `SESS_STORE scheme "${url.protocol}" is not known; use one of ${Object.keys(registry).join(' ')}.`,
    );
  }
  try {
    return { ...(await open(url)), description: describe(url) };
  } catch (error) {
    // Name the store without the credentials the URL may hold.
    throw new Error(`Could not open SESS_STORE=${describe(url)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Loads an adapter package on first use and opens a store with it. */
export function adapter<Module>(
  packageName: string,
  open: (module: Module, url: URL) => Promise<Omit<OpenedStore, 'description'>>,
): Opener {
  return async (url) => {
    let module: Module;
    try {
      // A computed specifier: the package is optional and resolved at run time.
      module = (await import(packageName)) as Module;
    } catch (error) {
      throw new Error(`SESS_STORE=${describe(url)} needs ${packageName}; install and build it.`, {
        cause: error,
      });
    }
    return open(module, url);
  };
}

/** The URL as it may be printed: no user name, password or query. */
function describe(url: URL): string {
  if (!url.host) return `${url.protocol}${url.pathname}`;
  return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}
