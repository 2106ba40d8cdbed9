import { runStoreConformance } from '@sess/core/conformance';
import { afterAll, describe, it } from 'vitest';
import { memcachedCache, openTiers, privatePostgres, sharedPostgres } from './support/tiers.js';

// Memcached in front of PostgreSQL: the whole suite on a private memcached and
// a schema of the shared PostgreSQL; then the fault tier with a private
// PostgreSQL stopped and started (a durable outage: every operation must
// fail, since by default reads are not served from the cache while the
// durable store is down). The cache's outages are in cache-faults.test.ts.
const cache = await memcachedCache();
const db = await sharedPostgres();
const faultCache = await memcachedCache();
const faultDb = await privatePostgres();
afterAll(async () => {
  await Promise.all([cache.close(), db.close(), faultCache.close(), faultDb.close()]);
});

describe('TieredStore: Memcached over PostgreSQL passes the conformance suite', () => {
  runStoreConformance({
    test: it.concurrent,
    timing: { timeScale: 2 },
    createStore: async ({ namespace, now }) => {
      const tiers = await openTiers(cache, db, namespace, now ? { now } : {});
      return { store: tiers.store, dispose: tiers.dispose };
    },
    corrupt: async ({ namespace, id }) => {
      await db.corrupt(namespace, id);
      await cache.plant(namespace, id, 'not a cache entry');
    },
  });
});

describe('TieredStore: Memcached over a PostgreSQL that is stopped and started passes the fault tier', () => {
  runStoreConformance({
    test: it,
    groups: ['faults'],
    timing: { timeScale: 2 },
    createStore: async ({ namespace, now }) => {
      const tiers = await openTiers(faultCache, faultDb, namespace, now ? { now } : {});
      return { store: tiers.store, dispose: tiers.dispose };
    },
    faults: { stop: () => faultDb.server.kill(), start: () => faultDb.server.start() },
  });
});
