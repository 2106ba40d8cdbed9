import { runStoreConformance } from '@sess/core/conformance';
import { afterAll, describe, it } from 'vitest';
import { MemcachedStore } from '../src/index.js';
import { privatePool } from './support/servers.js';

// The fault tier kills servers (SIGKILL) and starts them again on the same
// port, so it runs on servers of its own, one test at a time.

const single = await privatePool(1);
const pair = await privatePool(2);
afterAll(async () => {
  await single.dispose();
  await pair.dispose();
});

describe('MemcachedStore on one server survives a killed and restarted server', () => {
  runStoreConformance({
    test: it,
    groups: ['faults'],
    createStore: ({ namespace }) => ({
      store: new MemcachedStore({
        client: single.client,
        prefix: `${namespace}:`,
        operationTimeoutMs: 1000,
      }),
    }),
    faults: {
      stop: () => single.servers[0]!.kill(),
      start: () => single.servers[0]!.start(),
    },
  });
});

describe('MemcachedStore on a two-server pool survives both servers killed and restarted', () => {
  runStoreConformance({
    test: it,
    groups: ['faults'],
    createStore: ({ namespace }) => ({
      store: new MemcachedStore({
        client: pair.client,
        prefix: `${namespace}:`,
        operationTimeoutMs: 1000,
      }),
    }),
    faults: {
      stop: async () => {
        await Promise.all(pair.servers.map((server) => server.kill()));
      },
      start: async () => {
        await Promise.all(pair.servers.map((server) => server.start()));
      },
    },
  });
});

describe('a store that owns its client', () => {
  runStoreConformance({
    test: it,
    groups: ['faults', 'lifecycle'],
    createStore: ({ namespace }) => ({
      store: new MemcachedStore({
        servers: [single.servers[0]!.location],
        prefix: `${namespace}:`,
        operationTimeoutMs: 1000,
      }),
    }),
    faults: {
      stop: () => single.servers[0]!.kill(),
      start: () => single.servers[0]!.start(),
    },
  });
});
