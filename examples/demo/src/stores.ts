import { MemoryStore, type SessionStore } from '@sess/core';
import type * as Memcached from '@sess/memcached';

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
 *
 * An adapter that has landed becomes one small entry, e.g.
 *
 *   'redis:': adapter('@sess/redis', async ({ RedisStore }, url) => {
 *     const { createClient } = await import('redis');
 *     const client = await createClient({ url: url.href }).connect();
 *     return { store: new RedisStore({ client }), close: () => client.quit() };
 *   }),
 */
const registry: Record<string, Opener> = {
  'memory:': async () => {
    const store = new MemoryStore({ maxEntries: 100_000 });
    return { store, close: () => store.close() };
  },
  'sqlite:': notWiredYet('@sess/sql'),
  'file:': notWiredYet('@sess/file'),
  'redis:': notWiredYet('@sess/redis'),
  'memcached:': adapter<typeof Memcached>('@sess/memcached', async ({ MemcachedStore }, url) => {
    // The store opens its own client (and closes it in close()).
    const store = new MemcachedStore({
      servers: [`${url.hostname}:${url.port || 11211}`],
      prefix: 'sess-demo:',
    });
    return { store, close: () => store.close() };
  }),
  'postgres:': notWiredYet('@sess/sql'),
  'postgresql:': notWiredYet('@sess/sql'),
  'mysql:': notWiredYet('@sess/sql'),
};

/**
 * The store used when `SESS_STORE` is not set. Meant to be
 * `sqlite:./.data/demo.db` (embedded, survives restarts) once the SQLite
 * entry is wired; until then, memory.
 */
export const DEFAULT_STORE_URL = 'memory:';

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
  return { ...(await open(url)), description: describe(url) };
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

function notWiredYet(packageName: string): Opener {
  return async (url) => {
    throw new Error(
      `SESS_STORE=${describe(url)} needs ${packageName}, which this demo does not wire up yet. Use memory: for now.`,
    );
  };
}

/** The URL as it may be printed: no user name, password or query. */
function describe(url: URL): string {
  if (!url.host) return `${url.protocol}${url.pathname}`;
  return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}
