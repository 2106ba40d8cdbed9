import { runStoreConformance } from '@sess/core/conformance';
import { afterAll, describe, it } from 'vitest';
import { openTiers, redisCache, sqliteDatabase } from './support/tiers.js';

// Redis in front of SQLite: every conformance group but the fault tier, whose
// outage is the durable store's (SQLite runs in process, it cannot go down).
// The cache's own outages are tested in cache-faults.test.ts.
const cache = await redisCache();
const db = await sqliteDatabase();
afterAll(async () => {
  await cache.close();
  await db.close();
});

describe('TieredStore: Redis over SQLite passes the conformance suite', () => {
  runStoreConformance({
    test: it.concurrent,
    timing: { timeScale: 2 },
    createStore: async ({ namespace, now }) => {
      const tiers = await openTiers(cache, db, namespace, now ? { now } : {});
      return { store: tiers.store, dispose: tiers.dispose };
    },
    // The record is damaged in the durable store, and the cache holds bytes
    // that are no entry of ours: neither may ever be served as data.
    corrupt: async ({ namespace, id }) => {
      await db.corrupt(namespace, id);
      await cache.plant(namespace, id, 'not a cache entry');
    },
  });
});
