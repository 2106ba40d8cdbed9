import { type MemcachedServer, startMemcached } from '@sess/test-servers';
import { MemcachedClient, type MemcachedClientOptions } from '../../src/index.js';

/** Private memcached servers on free loopback ports, and a client on them. */
export async function privatePool(
  count: number,
  clientOptions: Partial<MemcachedClientOptions> = {},
  serverArgs: readonly string[] = [],
): Promise<{
  servers: MemcachedServer[];
  client: MemcachedClient;
  dispose: () => Promise<void>;
}> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => startMemcached(serverArgs)),
  );
  const client = new MemcachedClient({
    servers: servers.map((server) => server.location),
    ...clientOptions,
  });
  return {
    servers,
    client,
    async dispose() {
      await client.close();
      await Promise.all(servers.map((server) => server.dispose()));
    },
  };
}

/** An hour from now, as memcached's absolute Unix seconds. */
export function inAnHour(): number {
  return Math.ceil(Date.now() / 1000) + 3600;
}
