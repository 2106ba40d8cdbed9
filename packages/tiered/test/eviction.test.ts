import assert from 'node:assert/strict';
import type { RedisStore, RedisStoreWarning } from '@sess/redis';
import { afterAll, it } from 'vitest';
import { nextNamespace, openTiers, redisCache, sqliteDatabase } from './support/tiers.js';

// A Redis too small for the sessions, evicting any key (allkeys-lru): the
// cache loses sessions all the time, the store never does.
const cache = await redisCache(['--maxmemory', '4mb', '--maxmemory-policy', 'allkeys-lru']);
const db = await sqliteDatabase();
afterAll(async () => {
  await cache.close();
  await db.close();
});

it('sessions evicted from the cache are read from the durable store: none is lost', async () => {
  const tiers = await openTiers(cache, db, nextNamespace());
  const { store } = tiers;
  const warnings: RedisStoreWarning[] = [];
  (tiers.cache as RedisStore).on('warning', (warning) => warnings.push(warning));
  try {
    const ids = Array.from({ length: 1_000 }, (_, i) => `session_${i}`);
    const data = (id: string) => `${id}:${'x'.repeat(8_000)}`;
    for (const id of ids) {
      assert.ok((await store.create(id, { data: data(id), expiresAt: Date.now() + 3_600_000 })).ok);
    }
    for (let pass = 0; pass < 2; pass++) {
      for (const id of ids) assert.equal((await store.get(id))?.data, data(id), id);
    }
    const info = String(await cache.command?.(['INFO', 'stats']));
    const evicted = Number(/evicted_keys:(\d+)/.exec(info)?.[1]);
    assert.ok(evicted > 0, 'Redis evicted nothing: the test proves nothing');
    // 8 MB of sessions in 4 MB of cache: the second pass cannot be all hits.
    assert.ok(store.stats.misses > ids.length, 'evicted sessions were read again from SQLite');
    assert.equal(store.stats.hits + store.stats.misses, 2 * ids.length);
    assert.equal(warnings[0]?.code, 'SESS_REDIS_EVICTION_POLICY');
  } finally {
    await tiers.dispose();
  }
});
