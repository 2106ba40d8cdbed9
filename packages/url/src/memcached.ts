import { StoreUnavailableError } from '@sess/core';
import { withTimeout } from '@sess/core/store-kit';
import type * as Memcached from '@sess/memcached';
import { load } from './adapters.js';
import type { StoreUrl } from './parse.js';
import type { Opened } from './types.js';

/** `memcached://a:11211,b:11211`: a `MemcachedStore` on a client (and a pool) of its own. */
export async function openMemcached(url: StoreUrl, timeoutMs: number): Promise<Opened> {
  const { MemcachedClient, MemcachedStore } = await load<typeof Memcached>(
    '@sess/memcached',
    url.description,
    ['@sess/memcached'],
  );
  const servers = url.hosts.map(({ host, port }) =>
    host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
  );
  const client = new MemcachedClient({
    servers,
    connectTimeoutMs: timeoutMs,
    replyTimeoutMs: timeoutMs,
  });
  const stats: Opened['backend'] & { kind: 'memcached' } = {
    kind: 'memcached',
    servers,
    stats: (server, group) =>
      withTimeout(client.stats(server, group), timeoutMs, `memcached ${server} stats`),
  };
  try {
    // The store connects lazily; a server that is not there should fail the open.
    await Promise.all(servers.map((server) => stats.stats(server, 'settings')));
    const { prefix, itemSizeMax } = url.options;
    const store = new MemcachedStore({
      client,
      ...(prefix === undefined ? {} : { prefix }),
      ...(itemSizeMax === undefined ? {} : { itemSizeMax }),
      operationTimeoutMs: timeoutMs,
    });
    let closing: Promise<void> | undefined;
    return {
      store,
      backend: stats,
      close: () => {
        closing ??= store.close().then(() => client.close());
        return closing;
      },
    };
  } catch (error) {
    await client.close();
    if (error instanceof StoreUnavailableError) {
      throw new StoreUnavailableError(`Could not reach ${url.description}: ${error.message}`);
    }
    throw error;
  }
}
