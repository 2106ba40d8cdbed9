import { sessionLifecycleSuite } from '@sess/session-suite';
import { LOOPBACK, type RedisServer, startRedis, startRedisCluster } from '@sess/test-servers';
import { afterAll, beforeAll, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { connect, type TestClient } from './support/clients.js';

// The session lifecycle of @sess/core (SessionManager: tokens, commits,
// expiry on real time, rotation, logouts, conflict merges) on real servers:
// node-redis on a standalone server, ioredis on a cluster.
let server: RedisServer;
let cluster: Awaited<ReturnType<typeof startRedisCluster>>;
let standaloneClient: TestClient;
let clusterClient: TestClient;

beforeAll(async () => {
  [server, cluster] = await Promise.all([startRedis(), startRedisCluster(3)]);
  standaloneClient = await connect('node-redis 5', [{ host: LOOPBACK, port: server.port }], {
    cluster: false,
  });
  clusterClient = await connect('ioredis 5', cluster.nodes, { cluster: true });
});
afterAll(async () => {
  await standaloneClient?.close();
  await clusterClient?.close();
  await server?.dispose();
  await cluster?.dispose();
});

sessionLifecycleSuite({
  name: 'RedisStore (node-redis, standalone)',
  test: it.concurrent,
  createStore: ({ namespace }) => ({
    store: new RedisStore({ client: standaloneClient.client, prefix: `${namespace}:` }),
  }),
});

sessionLifecycleSuite({
  name: 'RedisStore (ioredis, cluster)',
  test: it.concurrent,
  createStore: ({ namespace }) => ({
    store: new RedisStore({ client: clusterClient.client, prefix: `${namespace}:` }),
  }),
});
