import { sessionLifecycleSuite } from '@sess/session-suite';
import { afterAll, it } from 'vitest';
import { openTiers, redisCache, sharedPostgres } from './support/tiers.js';

// The session lifecycle of @sess/core (SessionManager: tokens, commits,
// expiry, rotation, logouts, conflict merges) on Redis over PostgreSQL.
const cache = await redisCache();
const db = await sharedPostgres();
afterAll(async () => {
  await cache.close();
  await db.close();
});

sessionLifecycleSuite({
  name: 'TieredStore (Redis over PostgreSQL)',
  test: it.concurrent,
  createStore: async ({ namespace, now }) => {
    const tiers = await openTiers(cache, db, namespace, { now });
    return { store: tiers.store, dispose: tiers.dispose };
  },
});
