import { runStoreConformance } from '@sess/core/conformance';
import { afterAll, describe, it } from 'vitest';
import { MemcachedStore } from '../src/index.js';
import { inAnHour, privatePool } from './support/servers.js';

const pool = await privatePool(1);
afterAll(() => pool.dispose());

describe('MemcachedStore on one server passes the conformance suite', () => {
  runStoreConformance({
    test: it.concurrent,
    createStore: ({ namespace }) => ({
      store: new MemcachedStore({ client: pool.client, prefix: `${namespace}:` }),
    }),
    // A foreign item under a session's key, as another program or format would leave.
    corrupt: async ({ namespace, id }) => {
      await pool.client.set(`${namespace}:${id}`, Buffer.from('\u0000not a session'), {
        exptime: inAnHour(),
        flags: 0,
      });
    },
  });
});
