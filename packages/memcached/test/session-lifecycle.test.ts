import { sessionLifecycleSuite } from '@sess/session-suite';
import { afterAll, it } from 'vitest';
import { MemcachedStore } from '../src/index.js';
import { privatePool } from './support/servers.js';

// The session lifecycle of @sess/core (SessionManager: tokens, commits,
// expiry on real time, rotation, logouts, conflict merges) on a real server.
const pool = await privatePool(1);
afterAll(() => pool.dispose());

sessionLifecycleSuite({
  name: 'MemcachedStore',
  test: it.concurrent,
  createStore: ({ namespace }) => ({
    store: new MemcachedStore({ client: pool.client, prefix: `${namespace}:` }),
  }),
});
