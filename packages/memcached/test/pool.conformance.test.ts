import { runStoreConformance } from '@sess/core/conformance';
import { afterAll, describe, it } from 'vitest';
import { MemcachedStore } from '../src/index.js';
import { inAnHour, privatePool } from './support/servers.js';

const pool = await privatePool(2);
afterAll(() => pool.dispose());

describe('MemcachedStore on a two-server pool passes the conformance suite', () => {
  runStoreConformance({
    test: it.concurrent,
    createStore: ({ namespace }) => ({
      store: new MemcachedStore({ client: pool.client, prefix: `${namespace}:` }),
    }),
    corrupt: async ({ namespace, id }) => {
      await pool.client.set(`${namespace}:${id}`, Buffer.from('not a session'), {
        exptime: inAnHour(),
        flags: 0,
      });
    },
  });
});
