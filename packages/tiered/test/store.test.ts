import assert from 'node:assert/strict';
import {
  InvalidOptionError,
  MemoryStore,
  type SessionStore,
  StoreUnavailableError,
} from '@sess/core';
import { describe, it } from 'vitest';
import { decodeEntry } from '../src/entries.js';
import { type DegradedEvent, TieredStore, type TieredStoreOptions } from '../src/index.js';

const HOUR = 3_600_000;

/** A tiered store over two memory stores on one hand-moved clock. */
function memoryTiers(options: Partial<TieredStoreOptions> = {}) {
  let time = Date.now();
  const now = () => time;
  const cache = new MemoryStore({ now });
  const durable = new MemoryStore({ now });
  const store = new TieredStore({ cache, durable, now, ...options });
  return {
    store,
    cache,
    durable,
    now,
    advance: (ms: number) => {
      time += ms;
    },
    record: (data = 'payload', userId?: string) => ({
      data,
      expiresAt: time + HOUR,
      ...(userId === undefined ? {} : { userId }),
    }),
  };
}

/** What the cache holds for `id`, decoded. */
async function cached(cache: SessionStore, id: string) {
  const stored = await cache.get(id);
  return stored === null ? null : decodeEntry(stored.data);
}

function versionOf(result: { ok: boolean; version?: string }): string {
  assert.ok(result.ok && result.version, `write refused: ${JSON.stringify(result)}`);
  return result.version;
}

describe('reads', () => {
  it('a session is cached when it is first read, not when it is created', async () => {
    const { store, cache } = memoryTiers();
    const version = versionOf(
      await store.create('s1', { data: 'a', expiresAt: Date.now() + HOUR }),
    );
    assert.equal(await cache.get('s1'), null, 'create wrote to the cache');

    const first = await store.get('s1');
    assert.equal(first?.version, version);
    assert.deepEqual(store.stats.hits, 0);
    assert.equal(store.stats.misses, 1);
    assert.equal(store.stats.fills, 1);
    const entry = await cached(cache, 's1');
    assert.equal(entry?.kind, 'value');
    assert.deepEqual(entry.kind === 'value' && entry.record, first);

    assert.deepEqual(await store.get('s1'), first);
    assert.equal(store.stats.hits, 1);
    assert.equal(store.stats.misses, 1);
  });

  it('a cached session keeps its user id, exact expiry and version', async () => {
    const { store, record } = memoryTiers();
    const written = record('data\nwith: colons', 'user:1\n');
    const version = versionOf(await store.create('s1', written));
    await store.get('s1');
    assert.deepEqual(await store.get('s1'), { ...written, version });
    assert.equal(store.stats.hits, 1);
  });

  it('an expired cached record is never served, even while the cache still holds it', async () => {
    let time = Date.now();
    const now = () => time;
    // The cache runs on the real clock: it keeps the record past the expiry we move to.
    const cache = new MemoryStore();
    const store = new TieredStore({ cache, durable: new MemoryStore({ now }), now });
    await store.create('s1', { data: 'a', expiresAt: time + 5_000 });
    await store.get('s1');
    time += 4_999;
    assert.equal((await store.get('s1'))?.data, 'a');
    assert.equal(store.stats.hits, 1);
    time += 1;
    assert.equal((await cached(cache, 's1'))?.kind, 'value');
    assert.equal(await store.get('s1'), null);
  });

  it('a record is cached for at most maxCacheAgeMs, and not at all with too little life left', async () => {
    const { store, cache, now } = memoryTiers({ maxCacheAgeMs: 60_000 });
    await store.create('long', { data: 'a', expiresAt: now() + HOUR });
    await store.get('long');
    assert.equal((await cache.get('long'))?.expiresAt, now() + 60_000);

    await store.create('short', { data: 'b', expiresAt: now() + 100 });
    assert.equal((await store.get('short'))?.data, 'b');
    assert.equal((await cached(cache, 'short'))?.kind !== 'value', true);
    assert.equal(store.stats.fills, 1);
  });

  it('what the cache holds that is not an entry of ours is never served', async () => {
    const { store, cache, record } = memoryTiers();
    await store.create('s1', record('the real one'));
    for (const planted of ['garbage', 'v1:broken', 'v1:1:2:\nx', 'm1x']) {
      await cache.destroy('s1');
      await cache.create('s1', { data: planted, expiresAt: Date.now() + HOUR });
      assert.equal((await store.get('s1'))?.data, 'the real one', planted);
    }
    // A write replaces it with entries of ours.
    await store.update('s1', record('updated'));
    assert.equal((await store.get('s1'))?.data, 'updated');
    assert.equal((await store.get('s1'))?.data, 'updated');
    assert.ok(store.stats.hits >= 1);
  });
});

describe('writes', () => {
  it('an update of a cached session leaves the new record in the cache', async () => {
    const { store, record } = memoryTiers();
    const v1 = versionOf(await store.create('s1', record('a')));
    await store.get('s1');
    const v2 = versionOf(await store.update('s1', record('b'), { ifVersion: v1 }));
    assert.equal(store.stats.writeThroughs, 1);
    const hits = store.stats.hits;
    assert.deepEqual(await store.get('s1'), { ...record('b'), version: v2 });
    assert.equal(store.stats.hits, hits + 1);
  });

  it('an update of a session nobody read leaves nothing in the cache to serve', async () => {
    const { store, cache, record } = memoryTiers();
    await store.create('s1', record('a'));
    await store.update('s1', record('b'));
    assert.notEqual((await cached(cache, 's1'))?.kind, 'value');
    assert.equal(store.stats.writeThroughs, 0);
    assert.equal((await store.get('s1'))?.data, 'b');
  });

  it('touch of a cached session keeps it cached with the new expiry and the same version', async () => {
    const { store, record, now } = memoryTiers();
    const version = versionOf(await store.create('s1', record('a')));
    await store.get('s1');
    assert.equal(await store.touch('s1', now() + 2 * HOUR), true);
    const hits = store.stats.hits;
    assert.deepEqual(await store.get('s1'), { data: 'a', expiresAt: now() + 2 * HOUR, version });
    assert.equal(store.stats.hits, hits + 1);
  });

  it('an update refused by compare-and-set leaves the cached record in place', async () => {
    const { store, record } = memoryTiers();
    const version = versionOf(await store.create('s1', record('a')));
    await store.get('s1');
    assert.deepEqual(await store.update('s1', record('b'), { ifVersion: 'stale' }), {
      ok: false,
      reason: 'conflict',
    });
    const hits = store.stats.hits;
    assert.deepEqual(await store.get('s1'), { ...record('a'), version });
    assert.equal(store.stats.hits, hits + 1);
  });

  it('destroy and destroyByUser leave no value in the cache', async () => {
    const { store, cache, record } = memoryTiers();
    for (const id of ['a', 'b', 'c']) await store.create(id, record(id, id === 'c' ? 'bob' : 'al'));
    for (const id of ['a', 'b', 'c']) await store.get(id);
    await store.destroy('a');
    assert.equal(await store.destroyByUser('al'), 1);
    for (const id of ['a', 'b']) {
      assert.notEqual((await cached(cache, id))?.kind, 'value', id);
      assert.equal(await store.get(id), null);
    }
    assert.equal((await store.get('c'))?.data, 'c');
  });
});

describe('options and capabilities', () => {
  it('capabilities come from the two stores', () => {
    const durable = new MemoryStore({ maxPayloadBytes: 10_000 });
    const small = new TieredStore({ cache: new MemoryStore({ maxPayloadBytes: 5_000 }), durable });
    assert.deepEqual(small.capabilities, {
      expiry: 'sweep',
      list: true,
      count: true,
      users: true,
      clear: true,
      ttlResolutionMs: 0,
      maxPayloadBytes: 5_000 - 1024,
      operationTimeoutMs: 825,
    });
    const large = new TieredStore({
      cache: new MemoryStore({ maxPayloadBytes: 50_000 }),
      durable,
      cacheTimeoutMs: 100,
    });
    assert.equal(large.capabilities.maxPayloadBytes, 10_000);
    assert.equal(large.capabilities.operationTimeoutMs, 330);
  });

  it('options that cannot work are refused with InvalidOptionError', () => {
    const cache = new MemoryStore();
    const durable = new MemoryStore();
    const bad: unknown[] = [
      undefined,
      {},
      { cache },
      { durable },
      { cache, durable: cache },
      { cache, durable, cacheTimeoutMs: 0 },
      { cache, durable, cacheRetryMs: -1 },
      { cache, durable, maxCacheAgeMs: 1.5 },
      { cache, durable, durableProbeMs: '1000' },
      { cache, durable, fenceTtlMs: 100 },
      { cache, durable, durableDownReads: 'maybe' },
      { cache, durable, now: 5 },
      { cache: new MemoryStore({ maxPayloadBytes: 1024 }), durable },
    ];
    for (const options of bad) {
      assert.throws(
        () => new TieredStore(options as TieredStoreOptions),
        InvalidOptionError,
        JSON.stringify(options),
      );
    }
  });
});

describe('failures', () => {
  it('a closed cache is bypassed: every operation works from the durable store, and one degraded event says so', async () => {
    const { store, cache, record, now } = memoryTiers();
    const events: DegradedEvent[] = [];
    store.on('degraded', (event) => events.push(event));
    store.on('degraded', () => {
      throw new Error('a listener that throws changes nothing');
    });
    await store.create('s1', record('a', 'u'));
    await store.get('s1');
    await cache.close();

    assert.equal((await store.get('s1'))?.data, 'a');
    const version = versionOf(await store.update('s1', record('b', 'u')));
    assert.equal(await store.touch('s1', now() + 2 * HOUR), true);
    assert.deepEqual(await store.get('s1'), {
      data: 'b',
      userId: 'u',
      expiresAt: now() + 2 * HOUR,
      version,
    });
    versionOf(await store.create('s2', record('c', 'u')));
    assert.equal(await store.count(), 2);
    assert.deepEqual((await store.list()).ids.sort(), ['s1', 's2']);
    assert.equal(await store.destroyByUser('u', { except: 's1' }), 1);
    await store.destroy('s1');
    assert.equal(await store.get('s1'), null);
    assert.equal(await store.clearExpired(), 0);

    assert.equal(events.length, 1);
    assert.equal(events[0]?.tier, 'cache');
    assert.ok(events[0]?.error instanceof StoreUnavailableError);
    assert.ok(store.stats.cacheFailures >= 1);
    assert.ok(store.stats.cacheBypassed >= 5);
    assert.ok(store.stats.pendingInvalidations >= 1);
    // clear needs both stores: it says so rather than leave the cache full.
    await assert.rejects(store.clear(), StoreUnavailableError);
  });

  it('a closed durable store fails writes; reads fail too once it is noticed, unless durableDownReads is cache', async () => {
    for (const mode of ['reject', 'cache'] as const) {
      const { store, durable, record } = memoryTiers({ durableDownReads: mode });
      const events: string[] = [];
      store.on('degraded', ({ tier }) => events.push(tier));
      await store.create('cached', record('a'));
      await store.create('cold', record('b'));
      await store.get('cached');
      await durable.close();

      await assert.rejects(store.create('new', record()), StoreUnavailableError);
      await assert.rejects(store.update('cold', record('c')), StoreUnavailableError);
      assert.deepEqual(events, ['durable']);
      await assert.rejects(store.get('cold'), StoreUnavailableError);
      if (mode === 'cache') {
        assert.equal((await store.get('cached'))?.data, 'a');
        assert.equal(store.stats.servedWhileDurableDown, 1);
      } else {
        await assert.rejects(store.get('cached'), StoreUnavailableError);
      }
      // A write whose outcome is unknown leaves the session uncached: it may still land.
      await assert.rejects(store.destroy('cached'), StoreUnavailableError);
      await assert.rejects(store.get('cached'), StoreUnavailableError);
    }
  });

  it('close waits for work in the background, then every operation rejects', async () => {
    const { store, record } = memoryTiers();
    await store.create('s1', record());
    await store.close();
    await store.close();
    for (const call of [
      () => store.get('s1'),
      () => store.create('s2', record()),
      () => store.update('s1', record()),
      () => store.touch('s1', Date.now() + HOUR),
      () => store.destroy('s1'),
      () => store.list(),
      () => store.count(),
      () => store.destroyByUser('u'),
      () => store.clearExpired(),
      () => store.clear(),
    ]) {
      await assert.rejects(call(), StoreUnavailableError);
    }
  });
});
