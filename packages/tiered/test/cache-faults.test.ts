import assert from 'node:assert/strict';
import type { SessionRecord } from '@sess/core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { DegradedEvent, RecoveredEvent, TieredStore } from '../src/index.js';
import {
  type CacheServer,
  type DurableDatabase,
  memcachedCache,
  nextNamespace,
  openTiers,
  redisCache,
  sharedPostgres,
  sqliteDatabase,
  type Tiers,
} from './support/tiers.js';
import { boundOf, eventually, watchProcess, within } from './support/watch.js';

// The cache's fault tier: a private cache server killed, or frozen (SIGSTOP,
// as a hung server), under a tiered store. Every operation must still work,
// from the durable store, within operationTimeoutMs; the store reports the
// outage once, and uses the cache again once it answers, never serving what
// was written while it was away.

const HOUR = 3_600_000;
const record = (data: string, userId?: string): SessionRecord => ({
  data,
  expiresAt: Date.now() + HOUR,
  ...(userId === undefined ? {} : { userId }),
});

function watchEvents(store: TieredStore) {
  const degraded: DegradedEvent[] = [];
  const recovered: RecoveredEvent[] = [];
  store.on('degraded', (event) => degraded.push(event));
  store.on('recovered', (event) => recovered.push(event));
  return { degraded, recovered };
}

/** Reads until the store says the cache is back (each operation gives it a chance to retry). */
async function untilRecovered(store: TieredStore, recovered: RecoveredEvent[], id: string) {
  await eventually(
    async () => {
      await store.get(id);
      return recovered.some((event) => event.tier === 'cache');
    },
    15_000,
    'the store to use the cache again',
  );
}

/** Every operation once, then several at once; each must succeed within the bound. */
async function everyOperation(tiers: Tiers): Promise<void> {
  const { store } = tiers;
  const bound = boundOf(store.capabilities.operationTimeoutMs);
  const caps = store.capabilities;
  const step = <T>(what: string, call: () => Promise<T>) => within(bound, what, call);

  const read = await step('get', () => store.get('a'));
  assert.equal(read?.data, 'a1');
  const updated = await step('update', () =>
    store.update('a', record('a2', 'u'), { ifVersion: read?.version as string }),
  );
  assert.ok(updated.ok);
  assert.equal((await step('get', () => store.get('a')))?.data, 'a2');
  assert.equal(await step('touch', () => store.touch('a', Date.now() + 2 * HOUR)), true);
  assert.ok((await step('create', () => store.create('c', record('c1', 'u')))).ok);
  assert.equal((await step('get', () => store.get('c')))?.data, 'c1');
  if (caps.list) {
    const { ids } = await step('list', () => store.list({ limit: 100 }));
    assert.deepEqual(ids.sort(), ['a', 'b', 'c']);
  }
  if (caps.count) assert.equal(await step('count', () => store.count()), 3);
  if (caps.users) {
    assert.equal(await step('destroyByUser', () => store.destroyByUser('u', { except: 'a' })), 2);
  } else {
    await step('destroy', () => store.destroy('b'));
    await step('destroy', () => store.destroy('c'));
  }
  assert.equal(await step('get', () => store.get('b')), null);
  assert.equal(await step('get', () => store.get('c')), null);
  if (caps.expiry === 'sweep') await step('clearExpired', () => store.clearExpired());

  const all = await Promise.all([
    step('get', () => store.get('a')),
    step('create', () => store.create('d', record('d1'))),
    step('update', () => store.update('a', record('a3', 'u'))),
    step('touch', () => store.touch('a', Date.now() + 3 * HOUR)),
    step('destroy', () => store.destroy('e')),
  ]);
  assert.ok(all[1] && typeof all[1] === 'object' && 'ok' in all[1] && all[1].ok);
  assert.equal((await store.get('a'))?.data, 'a3');
}

function describeCacheFaults(
  name: string,
  startCache: () => Promise<CacheServer>,
  startDatabase: () => Promise<DurableDatabase>,
  bounds: { cacheTimeoutMs?: number; cacheOperationTimeoutMs: number },
): void {
  describe(`${name}: the cache is killed, frozen, and comes back`, () => {
    let cache: CacheServer;
    let db: DurableDatabase;
    const opened: Tiers[] = [];
    beforeAll(async () => {
      [cache, db] = await Promise.all([startCache(), startDatabase()]);
    });
    afterAll(async () => {
      for (const tiers of opened) await tiers.dispose();
      await Promise.all([cache?.close(), db?.close()]);
    });
    const open = async (namespace = nextNamespace()) => {
      const tiers = await openTiers(cache, db, namespace, { cacheRetryMs: 100, ...bounds });
      opened.push(tiers);
      return tiers;
    };

    it('killed: every operation works from the durable store within operationTimeoutMs, and the outage is reported once', async () => {
      const tiers = await open();
      const { store } = tiers;
      const events = watchEvents(store);
      const watch = watchProcess();
      assert.ok((await store.create('a', record('a1', 'u'))).ok);
      assert.ok((await store.create('b', record('b1', 'u'))).ok);
      await store.get('a');
      await store.get('a');
      assert.equal(store.stats.hits, 1);

      await cache.server.kill();
      try {
        await everyOperation(tiers);
        assert.equal(events.degraded.length, 1);
        assert.equal(events.degraded[0]?.tier, 'cache');
        assert.equal(
          (events.degraded[0]?.error as { code?: string } | undefined)?.code,
          'SESS_STORE_UNAVAILABLE',
        );
        const { stats } = store;
        assert.ok(stats.cacheFailures >= 1, 'cache failures are counted');
        assert.ok(stats.cacheBypassed >= 10, 'operations that bypassed the cache are counted');
        assert.ok(stats.pendingInvalidations >= 1, 'sessions written meanwhile are remembered');
      } finally {
        await cache.server.start();
      }

      await untilRecovered(store, events.recovered, 'a');
      assert.equal(store.stats.pendingInvalidations, 0);
      await store.get('a');
      const hits = store.stats.hits;
      assert.equal((await store.get('a'))?.data, 'a3');
      assert.equal(store.stats.hits, hits + 1, 'the cache answers reads again');
      await watch.stop();
    });

    it('frozen: every operation works within operationTimeoutMs, and a session written meanwhile is never served stale once the cache answers again', async () => {
      const namespace = nextNamespace();
      const tiers = await open(namespace);
      const { store } = tiers;
      // Another process, on the same tiers, that never saw the outage.
      const other = await open(namespace);
      const events = watchEvents(store);
      const watch = watchProcess();
      assert.ok((await store.create('a', record('a1', 'u'))).ok);
      assert.ok((await store.create('b', record('b1', 'u'))).ok);
      await store.get('a');
      await other.store.get('b');

      await cache.server.pause();
      try {
        await everyOperation(tiers);
        assert.equal(events.degraded.length, 1);
      } finally {
        await cache.server.resume();
      }
      // The cache still holds a1 and b1, which the durable store no longer has.
      await untilRecovered(store, events.recovered, 'a');
      assert.equal((await other.store.get('a'))?.data, 'a3');
      assert.equal(await other.store.get('b'), null);
      assert.equal((await store.get('a'))?.data, 'a3');
      await watch.stop();
    });

    it('operations in flight when the cache dies all succeed, and leave no unhandled rejection', async () => {
      const tiers = await open();
      const { store, durable } = tiers;
      const ids = Array.from({ length: 16 }, (_, i) => `s${i}`);
      for (const id of ids) await store.create(id, record(`${id} v0`));
      for (const id of ids) await store.get(id);
      const watch = watchProcess();
      const wave = (round: number) =>
        ids.flatMap((id, i) => [
          store.get(id),
          i % 4 === 0 ? store.destroy(id) : store.update(id, record(`${id} v${round}`)),
          store.touch(id, Date.now() + 2 * HOUR),
        ]);
      const inFlight = [...wave(1)];
      await cache.server.kill();
      inFlight.push(...wave(2));
      try {
        const outcomes = await Promise.allSettled(inFlight);
        const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
        assert.deepEqual(failed, [], 'an operation failed because of the cache');
      } finally {
        await cache.server.start();
      }
      for (const id of ids) assert.deepEqual(await store.get(id), await durable.get(id), id);
      await watch.stop();
    });
  });
}

// A cache call is bounded by the store's own budget (cacheTimeoutMs) when it
// is shorter than the cache store's operationTimeoutMs, else by the cache
// store itself: one pair each way.
describeCacheFaults('Redis over SQLite', redisCache, sqliteDatabase, {
  cacheTimeoutMs: 300,
  cacheOperationTimeoutMs: 1_000,
});
describeCacheFaults('Memcached over PostgreSQL', memcachedCache, sharedPostgres, {
  cacheOperationTimeoutMs: 300,
});
