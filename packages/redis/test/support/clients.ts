import { Redis as IORedis5, Cluster as IORedisCluster5 } from 'ioredis';
import { Redis as IORedis6, Cluster as IORedisCluster6 } from 'ioredis6';
import {
  createClient as createClient5,
  createClientPool as createClientPool5,
  createCluster as createCluster5,
} from 'redis';
import { createClient as createClient6, createCluster as createCluster6 } from 'redis6';
import type { RedisClientLike } from '../../src/index.js';

/** The client libraries and versions every test runs against. */
export const CLIENTS = ['node-redis 5', 'node-redis 6', 'ioredis 5', 'ioredis 6'] as const;
/** Standalone servers are also reached through a node-redis client pool. */
export const STANDALONE_CLIENTS = [...CLIENTS, 'node-redis 5 pool'] as const;
export type ClientName = (typeof STANDALONE_CLIENTS)[number];

export interface Address {
  readonly host: string;
  readonly port: number;
}

/** A connected client and the raw command function tests use to look behind the store. */
export interface TestClient {
  readonly client: RedisClientLike;
  /** Sends a command routed by `key` (needed in a cluster); arguments may be bytes. */
  command(args: Array<string | Buffer>, key?: string): Promise<unknown>;
  /** Errors the client emitted, as the application's own listener saw them. */
  readonly errors: unknown[];
  close(): Promise<void>;
}

// Reconnect quickly, so recovery after a restart is fast in tests.
const backoff = (attempt: number) => Math.min(50 * attempt, 500);

/**
 * A client as an application would set it up: connected, with its own error
 * listener (unless `listen` is false, to prove the store copes without one).
 */
export async function connect(
  name: ClientName,
  nodes: readonly Address[],
  options: { cluster: boolean; listen?: boolean },
): Promise<TestClient> {
  const errors: unknown[] = [];
  const record = (error: unknown) => errors.push(error);
  const listen = options.listen !== false;
  const seed = nodes[0] as Address;
  const url = `redis://${seed.host}:${seed.port}`;
  const rootNodes = nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` }));
  const socket = { reconnectStrategy: backoff };
  const done = (client: RedisClientLike, command: TestClient['command'], close: () => unknown) => ({
    client,
    errors,
    command,
    close: async () => {
      await close();
    },
  });

  switch (`${name}${options.cluster ? ' cluster' : ''}`) {
    case 'node-redis 5 cluster': {
      const cluster = createCluster5({ rootNodes, defaults: { socket } });
      if (listen) cluster.on('error', record);
      await cluster.connect();
      return done(
        cluster,
        (args, key) => cluster.sendCommand(key, false, args),
        () => cluster.close(),
      );
    }
    case 'node-redis 6 cluster': {
      const cluster = createCluster6({ rootNodes, defaults: { socket } });
      if (listen) cluster.on('error', record);
      await cluster.connect();
      return done(
        cluster,
        (args, key) => cluster.sendCommand(key, false, args),
        () => cluster.close(),
      );
    }
    case 'node-redis 5': {
      const client = createClient5({ url, socket });
      if (listen) client.on('error', record);
      await client.connect();
      return done(
        client,
        (args) => client.sendCommand(args),
        () => client.isOpen && client.close(),
      );
    }
    case 'node-redis 6': {
      const client = createClient6({ url, socket });
      if (listen) client.on('error', record);
      await client.connect();
      return done(
        client,
        (args) => client.sendCommand(args),
        () => client.isOpen && client.close(),
      );
    }
    case 'node-redis 5 pool': {
      const pool = createClientPool5({ url, socket }, { minimum: 2, maximum: 4 });
      if (listen) pool.on('error', record);
      await pool.connect();
      return done(
        pool,
        (args) => pool.sendCommand(args),
        () => pool.close(),
      );
    }
    case 'ioredis 5 cluster': {
      const cluster = new IORedisCluster5([...nodes], {
        clusterRetryStrategy: backoff,
        lazyConnect: true,
      });
      if (listen) cluster.on('error', record);
      await cluster.connect();
      return done(
        cluster,
        (args) => cluster.call(args[0] as string, ...args.slice(1)),
        () => cluster.disconnect(),
      );
    }
    case 'ioredis 6 cluster': {
      const cluster = new IORedisCluster6([...nodes], {
        clusterRetryStrategy: backoff,
        lazyConnect: true,
      });
      if (listen) cluster.on('error', record);
      await cluster.connect();
      return done(
        cluster,
        (args) => cluster.call(args[0] as string, ...args.slice(1)),
        () => cluster.disconnect(),
      );
    }
    case 'ioredis 5': {
      const client = new IORedis5({ ...seed, lazyConnect: true, retryStrategy: backoff });
      if (listen) client.on('error', record);
      await client.connect();
      return done(
        client,
        (args) => client.call(args[0] as string, ...args.slice(1)),
        () => client.disconnect(),
      );
    }
    default: {
      const client = new IORedis6({ ...seed, lazyConnect: true, retryStrategy: backoff });
      if (listen) client.on('error', record);
      await client.connect();
      return done(
        client,
        (args) => client.call(args[0] as string, ...args.slice(1)),
        () => client.disconnect(),
      );
    }
  }
}
