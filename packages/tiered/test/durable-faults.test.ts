import assert from 'node:assert/strict';
import { type SessionRecord, StoreUnavailableError } from '@sess/core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { DegradedEvent, RecoveredEvent, TieredStoreOptions } from '../src/index.js';
import {
  type CacheServer,
  type DurableDatabase,
  nextNamespace,
  openTiers,
  privatePostgres,
  redisCache,
  type Tiers,
} from './support/tiers.js';
import { eventually, watchProcess } from './support/watch.js';

// A private PostgreSQL under Redis, stopped and started: what reads do while
// the durable store is down, by default and with durableDownReads: 'cache'.
// (Every operation failing by default is the conformance fault tier's, in
// memcached-postgres.conformance.test.ts.)

const HOUR = 3_600_000;
const record = (data: string): SessionRecord => ({ data, expiresAt: Date.now() + HOUR });

describe('Redis over a PostgreSQL that is stopped and started', () => {
  let cache: CacheServer;
  let db: DurableDatabase & { server: { kill(): Promise<void>; start(): Promise<void> } };
  const opened: Tiers[] = [];
  beforeAll(async () => {
    [cache, db] = await Promise.all([redisCache(), privatePostgres()]);
  });
  afterAll(async () => {
    for (const tiers of opened) await tiers.dispose();
    await Promise.all([cache?.close(), db?.close()]);
  });
  const open = async (options: Partial<TieredStoreOptions>) => {
    const tiers = await openTiers(cache, db, nextNamespace(), options);
    opened.push(tiers);
    const degraded: DegradedEvent[] = [];
    const recovered: RecoveredEvent[] = [];
    tiers.store.on('degraded', (event) => degraded.push(event));
    tiers.store.on('recovered', (event) => recovered.push(event));
    return { ...tiers, degraded, recovered };
  };

  it("with durableDownReads: 'cache', cached sessions are still read during the outage, and nothing else works", async () => {
    const { store, degraded, recovered } = await open({ durableDownReads: 'cache' });
    for (const id of ['a', 'b', 'cold']) assert.ok((await store.create(id, record(id))).ok);
    await store.get('a');
    await store.get('b');
    const watch = watchProcess();
    await db.server.kill();
    try {
      assert.equal((await store.get('a'))?.data, 'a');
      await assert.rejects(store.update('b', record('b2')), StoreUnavailableError);
      await assert.rejects(store.create('new', record('new')), StoreUnavailableError);
      await assert.rejects(store.get('cold'), StoreUnavailableError);
      assert.deepEqual(
        degraded.map((event) => event.tier),
        ['durable'],
      );
      assert.equal((await store.get('a'))?.data, 'a');
      assert.ok(store.stats.servedWhileDurableDown >= 1);
      // Its update may yet land: the old record is not served any more.
      await assert.rejects(store.get('b'), StoreUnavailableError);
    } finally {
      await db.server.start();
    }
    await eventually(
      async () => (await store.get('cold').catch(() => null)) !== null,
      20_000,
      'PostgreSQL to answer again',
    );
    assert.deepEqual(
      recovered.map((event) => event.tier),
      ['durable'],
    );
    assert.equal((await store.get('a'))?.data, 'a');
    await watch.stop();
  });

  it('by default, a workload that only reads cached sessions notices the outage within durableProbeMs, then refuses them until PostgreSQL is back', async () => {
    const { store, degraded } = await open({ durableProbeMs: 100 });
    assert.ok((await store.create('a', record('a'))).ok);
    await store.get('a');
    const watch = watchProcess();
    await db.server.kill();
    try {
      // Reads answered by the cache alone; one of them starts the background probe.
      await eventually(
        async () => {
          try {
            await store.get('a');
            return false;
          } catch (error) {
            assert.ok(error instanceof StoreUnavailableError);
            return true;
          }
        },
        10_000,
        'a read to be refused',
      );
      assert.deepEqual(
        degraded.map((event) => event.tier),
        ['durable'],
      );
      await assert.rejects(store.get('a'), StoreUnavailableError);
    } finally {
      await db.server.start();
    }
    await eventually(
      async () => (await store.get('a').catch(() => null))?.data === 'a',
      20_000,
      'reads to work again',
    );
    await watch.stop();
  });
});
