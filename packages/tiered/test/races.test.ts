import assert from 'node:assert/strict';
import type { SessionRecord, SessionStore } from '@sess/core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { decodeEntry } from '../src/entries.js';
import { TieredStore } from '../src/index.js';
import { HeldStore } from './support/hold.js';
import {
  type CacheServer,
  type DurableDatabase,
  memcachedCache,
  nextNamespace,
  redisCache,
  sharedPostgres,
} from './support/tiers.js';

// The races the interleaving explorer covers on memory stores, replayed on
// real servers: a held call of the real durable store (or a frozen cache
// server) opens the window, the racing operation runs through it.

const HOUR = 3_600_000;
const record = (data: string, userId?: string): SessionRecord => ({
  data,
  expiresAt: Date.now() + HOUR,
  ...(userId === undefined ? {} : { userId }),
});

function describeRaces(name: string, startCache: () => Promise<CacheServer>): void {
  describe(`${name}: races with a logout or a write`, () => {
    let cache: CacheServer;
    let db: DurableDatabase;
    const cleanups: Array<() => Promise<unknown>> = [];
    beforeAll(async () => {
      [cache, db] = await Promise.all([startCache(), sharedPostgres()]);
    });
    afterAll(async () => {
      for (const cleanup of cleanups) await cleanup();
      await Promise.all([cache?.close(), db?.close()]);
    });

    /** The store under test (its durable store held at will), and another process's store. */
    const open = async () => {
      const namespace = nextNamespace();
      const cacheStore = cache.open(namespace);
      const durable = new HeldStore(await db.open(namespace));
      // No background probe: it would take a held durable read.
      const options = { cacheTimeoutMs: 300, cacheRetryMs: 100, durableProbeMs: 1e9 };
      const store = new TieredStore({ cache: cacheStore, durable, ...options });
      const other = new TieredStore({
        cache: cache.open(namespace),
        durable: await db.open(namespace),
        ...options,
      });
      cleanups.push(async () => {
        await store.close();
        await other.close();
        await cacheStore.clear?.().catch(() => undefined);
        await db.drop(namespace);
      });
      return { store, other, durable, cache: cacheStore as SessionStore };
    };

    /** No live value of `id` in the cache: nothing there a read could serve. */
    const noValue = async (cacheStore: SessionStore, id: string) => {
      const stored = await cacheStore.get(id);
      assert.notEqual(stored && decodeEntry(stored.data).kind, 'value', `${id} is cached`);
    };

    it('a read that fetched the session just before a logout does not put it back in the cache', async () => {
      const { store, other, durable, cache: raw } = await open();
      assert.ok((await store.create('s', record('before'))).ok);
      const fetched = durable.hold('get', 'after');
      const reading = store.get('s');
      await fetched.reached; // the read has the record from PostgreSQL, not yet in the cache
      await store.destroy('s');
      fetched.release();
      assert.equal((await reading)?.data, 'before'); // it began before the logout ended
      await noValue(raw, 's');
      assert.equal(await store.get('s'), null);
      assert.equal(await other.get('s'), null);
    });

    it('a read that fetched the session just before "log out everywhere" does not put it back', async () => {
      const { store, other, durable, cache: raw } = await open();
      assert.ok((await store.create('s', record('before', 'alice'))).ok);
      assert.ok((await store.create('t', record('other device', 'alice'))).ok);
      await store.get('t'); // cached
      const fetched = durable.hold('get', 'after');
      const reading = store.get('s');
      await fetched.reached;
      assert.equal(await store.destroyByUser('alice'), 2);
      fetched.release();
      await reading;
      for (const id of ['s', 't']) {
        await noValue(raw, id);
        assert.equal(await store.get(id), null);
        assert.equal(await other.get(id), null);
      }
    });

    it('a read that fetched the session just before an update does not put the old record back', async () => {
      const { store, other, durable } = await open();
      assert.ok((await store.create('s', record('old'))).ok);
      const fetched = durable.hold('get', 'after');
      const reading = store.get('s');
      await fetched.reached;
      assert.ok((await store.update('s', record('new'))).ok);
      fetched.release();
      assert.equal((await reading)?.data, 'old');
      assert.equal((await store.get('s'))?.data, 'new');
      assert.equal((await store.get('s'))?.data, 'new');
      assert.equal((await other.get('s'))?.data, 'new');
    });

    it('a login made while the user logs out everywhere, and read at once, stays logged out', async () => {
      const { store, other, durable, cache: raw } = await open();
      assert.ok((await store.create('laptop', record('laptop', 'bob'))).ok);
      const destroying = durable.hold('destroyByUser', 'before');
      const logout = store.destroyByUser('bob');
      await destroying.reached; // listed and fenced the laptop; PostgreSQL not asked yet
      assert.ok((await other.create('phone', record('just logged in', 'bob'))).ok);
      assert.equal((await other.get('phone'))?.data, 'just logged in');
      destroying.release();
      assert.equal(await logout, 2); // PostgreSQL destroyed the phone's session too
      await noValue(raw, 'phone');
      assert.equal(await other.get('phone'), null);
      assert.equal(await store.get('phone'), null);
    });

    it('of two updates, the one the durable store applied last is what every read sees', async () => {
      const { store, other, durable } = await open();
      assert.ok((await store.create('s', record('start'))).ok);
      await store.get('s'); // cached, so a write may leave its record behind
      const first = durable.hold('update', 'before');
      const slow = store.update('s', record('first'));
      await first.reached; // fenced in the cache, not yet in PostgreSQL
      assert.ok((await other.update('s', record('second'))).ok);
      first.release();
      assert.ok((await slow).ok);
      for (const reader of [store, other, store])
        assert.equal((await reader.get('s'))?.data, 'first');
    });

    it('a logout whose cache call times out after PostgreSQL destroyed the session leaves nothing to serve', async () => {
      const { store, other, durable, cache: raw } = await open();
      assert.ok((await store.create('s', record('logged in'))).ok);
      await store.get('s');
      await other.get('s'); // cached, as read by both processes
      const destroyed = durable.hold('destroy', 'after');
      const logout = store.destroy('s');
      await destroyed.reached; // gone from PostgreSQL; the cache still has the mark
      await cache.server.pause();
      try {
        destroyed.release();
        await logout; // the cache call after it times out: the logout still succeeds
      } finally {
        await cache.server.resume();
      }
      await noValue(raw, 's');
      assert.equal(await other.get('s'), null);
      assert.equal(await store.get('s'), null);
    });
  });
}

describeRaces('Redis over PostgreSQL', redisCache);
describeRaces('Memcached over PostgreSQL', memcachedCache);
