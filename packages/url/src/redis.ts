import { StoreUnavailableError } from '@sess/core';
import { withTimeout } from '@sess/core/store-kit';
import type * as RedisAdapter from '@sess/redis';
import type * as NodeRedis from 'redis';
import { load } from './adapters.js';
import { credentialsOf, type StoreUrl } from './parse.js';
import type { Opened, OpenStoreOptions, RedisNode } from './types.js';

const INSTALL = ['@sess/redis', 'redis'];

interface Commander {
  sendCommand(args: string[]): Promise<unknown>;
}

// Reconnect promptly after an outage, so a long command run picks up again.
const reconnectStrategy = (retries: number) => Math.min(50 * retries, 500);

/** `redis://`, `rediss://`, `redis+cluster://`: a `RedisStore` on a node-redis client of its own. */
export async function openRedis(
  url: StoreUrl,
  options: OpenStoreOptions,
  timeoutMs: number,
): Promise<Opened> {
  const { RedisStore } = await load<typeof RedisAdapter>('@sess/redis', url.description, INSTALL);
  const redis = await load<typeof NodeRedis>('redis', url.description, INSTALL);
  const { username, password } = credentialsOf(url);
  const tls = url.scheme === 'rediss';
  const db = Number(url.path.replace(/^\//, '') || 0);
  const socket = { connectTimeout: timeoutMs, reconnectStrategy, ...(tls ? { tls: true } : {}) };
  const auth = {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
  const cluster = url.scheme === 'redis+cluster';
  const client = cluster
    ? redis.createCluster({
        rootNodes: url.hosts.map(({ host, port }) => ({ socket: { host, port } })),
        defaults: { ...auth, socket },
      })
    : redis.createClient({
        ...auth,
        ...(db ? { database: db } : {}),
        socket: { host: url.hosts[0]?.host ?? '', port: url.hosts[0]?.port ?? 6379, ...socket },
      } as NodeRedis.RedisClientOptions);
  // node-redis throws an 'error' event nobody listens to; the store adds its
  // own listener once built, and this one names the cause of a failed start.
  let lastError: Error | undefined;
  client.on('error', (error: Error) => {
    lastError = error;
  });
  try {
    await withTimeout(client.connect() as Promise<unknown>, timeoutMs, `${url.description}`);
  } catch (error) {
    client.destroy();
    const reason = lastError?.message ?? (error as Error).message;
    throw new StoreUnavailableError(
      `Could not connect to ${url.description} within ${timeoutMs} ms: ${reason}`,
    );
  }
  const { prefix, maxPayloadBytes } = url.options;
  const store = new RedisStore({
    client: client as ConstructorParameters<typeof RedisStore>[0]['client'],
    ...(prefix === undefined ? {} : { prefix }),
    ...(maxPayloadBytes === undefined ? {} : { maxPayloadBytes }),
    operationTimeoutMs: timeoutMs,
  });
  const { onWarning } = options;
  if (onWarning) store.on('warning', (warning) => onWarning(warning.message));

  const bounded =
    (name: string, commander: Commander): RedisNode['command'] =>
    (args) =>
      withTimeout(commander.sendCommand([...args]), timeoutMs, `Redis ${name} ${args[0] ?? ''}`);
  const nodes = async (): Promise<RedisNode[]> => {
    if (!cluster) {
      const name = `${url.hosts[0]?.host}:${url.hosts[0]?.port}`;
      return [{ name, command: bounded(name, client as unknown as Commander) }];
    }
    const clusterClient = client as ReturnType<typeof redis.createCluster>;
    return Promise.all(
      clusterClient.masters.map(async (master) => {
        const name = `${master.host}:${master.port}`;
        const node = await withTimeout(clusterClient.nodeClient(master), timeoutMs, name);
        return { name, command: bounded(name, node as unknown as Commander) };
      }),
    );
  };
  let closing: Promise<void> | undefined;
  return {
    store,
    backend: { kind: 'redis', cluster, nodes },
    close: () => {
      closing ??= (async () => {
        // The store never closes a client it was given: this one was made here.
        await store.close();
        client.destroy();
      })();
      return closing;
    },
  };
}
