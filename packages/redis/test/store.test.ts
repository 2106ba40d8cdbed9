import assert from 'node:assert/strict';
import { once } from 'node:events';
import { isSessionStoreError } from '@sess/core';
import { listAll } from '@sess/core/conformance';
import { LOOPBACK, type RedisServer, startRedis, startRedisCluster } from '@sess/test-servers';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { RedisStore, type RedisStoreWarning } from '../src/index.js';
import { CLIENTS, connect, type TestClient } from './support/clients.js';

const HOUR = 3_600_000;
let sequence = 0;
const prefix = (label = 'p') => `t${process.pid}_${sequence++}_${label}:`;
const record = (data = 'x', userId?: string) => ({
  data,
  expiresAt: Date.now() + HOUR,
  ...(userId === undefined ? {} : { userId }),
});

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isSessionStoreError(error), `not a sess error: ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

for (const name of CLIENTS) {
  describe(`${name}: beyond the contract`, () => {
    let server: RedisServer;
    let app: TestClient;
    beforeAll(async () => {
      server = await startRedis();
      app = await connect(name, [{ host: LOOPBACK, port: server.port }], { cluster: false });
    });
    afterAll(async () => {
      await app.close();
      await server.dispose();
    });

    it('close() leaves the client open and removes only the listeners the store added', async () => {
      const client = app.client as unknown as NodeJS.EventEmitter;
      const before = ['error', 'ready', 'end', 'reconnecting'].map((e) => client.listenerCount(e));
      const store = new RedisStore({ client: app.client, prefix: prefix() });
      assert.ok(client.listenerCount('error') > (before[0] ?? 0), 'the store listens for errors');
      await store.create('a', record());
      await store.close();
      await store.close();
      const after = ['error', 'ready', 'end', 'reconnecting'].map((e) => client.listenerCount(e));
      assert.deepEqual(after, before);
      assert.equal(await app.command(['PING']), 'PONG', 'the client was closed');
      await rejectsWith(store.get('a'), 'SESS_STORE_UNAVAILABLE');
    });

    it('prefixes with glob characters are matched literally by list, count and clear', async () => {
      const base = prefix('glob');
      // Unescaped, the first pattern would match every other prefix here.
      const tricky = [`${base}*`, `${base}?`, `${base}[ab]`, `${base}\\`];
      const plain = [`${base}a`, `${base}b`, `${base}x`, `${base}\\x`];
      const stores = [...tricky, ...plain].map(
        (p) => new RedisStore({ client: app.client, prefix: `${p}:` }),
      );
      try {
        for (const [i, store] of stores.entries()) {
          await store.create(`s${i}`, record(String(i), 'user'));
        }
        for (const [i, store] of stores.entries()) {
          assert.equal(await store.count(), 1, `count of store ${i}`);
          assert.deepEqual(await listAll(store, { limit: 1 }), [`s${i}`], `list of store ${i}`);
        }
        for (const store of stores.slice(0, tricky.length)) await store.clear();
        for (const [i, store] of stores.entries()) {
          const expected = i < tricky.length ? null : String(i);
          assert.equal(
            (await store.get(`s${i}`))?.data ?? null,
            expected,
            `store ${i} after clear`,
          );
        }
      } finally {
        for (const store of stores) await store.close();
      }
    });

    it('clear() removes the records and the user indexes, and nothing outside the prefix', async () => {
      const mine = prefix('mine');
      const store = new RedisStore({ client: app.client, prefix: mine });
      await app.command(['SET', `${mine.slice(0, -1)}`, 'not under the prefix']);
      await store.create('a', record('a', 'alice'));
      await store.create('b', record('b'));
      await store.clear();
      const left = await app.command(['KEYS', `${mine}*`]);
      assert.deepEqual(left, []);
      assert.equal(await app.command(['GET', mine.slice(0, -1)]), 'not under the prefix');
      await store.close();
    });

    it('records expire natively at expiresAt, to the millisecond (Redis keeps them until expiresAt - 1)', async () => {
      const p = prefix();
      const store = new RedisStore({ client: app.client, prefix: p });
      const expiresAt = Date.now() + HOUR + 1234;
      await store.create('a', { data: 'x', expiresAt });
      assert.equal(Number(await app.command(['PEXPIRETIME', `${p}a`])), expiresAt - 1);
      await store.touch('a', expiresAt + 1);
      assert.equal(Number(await app.command(['PEXPIRETIME', `${p}a`])), expiresAt);
      await store.update('a', { data: 'y', expiresAt: expiresAt + 2 });
      assert.equal(Number(await app.command(['PEXPIRETIME', `${p}a`])), expiresAt + 1);
      await store.close();
    });

    it('a touch past what the user index covers extends the index first', async () => {
      const p = prefix();
      const store = new RedisStore({ client: app.client, prefix: p });
      const index = `${p}u:${encodeURIComponent('ü ser')}`;
      await store.create('a', { data: 'x', expiresAt: Date.now() + 10_000, userId: 'ü ser' });
      const covered = Number(await app.command(['ZSCORE', index, 'a']));
      const later = covered + HOUR;
      assert.equal(await store.touch('a', later), true);
      assert.ok(
        Number(await app.command(['ZSCORE', index, 'a'])) >= later,
        'index entry not extended',
      );
      assert.ok(
        Number(await app.command(['PEXPIRETIME', index])) >= later,
        'index key not extended',
      );
      assert.equal((await store.get('a'))?.expiresAt, later);
      assert.deepEqual((await store.list({ userId: 'ü ser' })).ids, ['a']);
      await store.close();
    });

    it('scripts still run after the server forgets them (SCRIPT FLUSH)', async () => {
      const store = new RedisStore({ client: app.client, prefix: prefix() });
      const created = await store.create('a', record('v1'));
      assert.ok(created.ok);
      await app.command(['SCRIPT', 'FLUSH']);
      assert.ok((await store.update('a', record('v2'), { ifVersion: created.version })).ok);
      assert.equal(await store.touch('a', Date.now() + 2 * HOUR), true);
      assert.equal((await store.get('a'))?.data, 'v2');
      await store.close();
    });

    it('a forged list cursor is rejected with InvalidOptionError', async () => {
      const store = new RedisStore({ client: app.client, prefix: prefix() });
      for (const cursor of ['', 'x', '5.0', '0.abc', '0.0.bad id', '-1.0']) {
        await rejectsWith(store.list({ cursor }), 'SESS_INVALID_OPTION');
      }
      await rejectsWith(store.list({ userId: 'u', cursor: 'not/an/id' }), 'SESS_INVALID_OPTION');
      await store.close();
    });

    it('with noeviction there is nothing to warn about', async () => {
      const store = new RedisStore({ client: app.client, prefix: prefix() });
      assert.equal(await store.checkMemoryPolicy(), undefined);
      await store.close();
    });
  });
}

describe('options', () => {
  it('rejects what cannot be a client, an empty prefix and bad limits', () => {
    const client = new Redis({ lazyConnect: true });
    for (const options of [
      { client: {} },
      { client: null },
      { client, prefix: '' },
      { client, operationTimeoutMs: 0 },
      { client, maxPayloadBytes: 1.5 },
    ]) {
      assert.throws(
        () => new RedisStore(options as never),
        (e: unknown) => isSessionStoreError(e) && e.code === 'SESS_INVALID_OPTION',
      );
    }
    client.disconnect();
  });

  it('refuses a node-redis Sentinel client, whose sendCommand means something else', () => {
    const sentinel = {
      getMasterNode: () => undefined,
      sendCommand: async () => null,
      on: () => sentinel,
      removeListener: () => sentinel,
    };
    assert.throws(() => new RedisStore({ client: sentinel }), /Sentinel/);
  });

  it('rejects an ioredis client with a keyPrefix, which SCAN patterns would not carry', () => {
    const client = new Redis({ lazyConnect: true, keyPrefix: 'app:' });
    assert.throws(() => new RedisStore({ client }), /keyPrefix/);
    client.disconnect();
  });
});

describe('a lazy ioredis cluster client', () => {
  it('is connected by the store when the first call is a listing', async () => {
    const cluster = await startRedisCluster(3);
    const client = new Cluster([...cluster.nodes], { lazyConnect: true });
    const store = new RedisStore({ client, prefix: prefix() });
    try {
      assert.deepEqual(await store.list(), { ids: [] });
      assert.ok((await store.create('a', record())).ok);
      assert.equal(await store.count(), 1);
    } finally {
      await store.close();
      client.disconnect();
      await cluster.dispose();
    }
  });
});

describe('maxmemory-policy', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis(['--maxmemory-policy', 'allkeys-lru']);
  });
  afterAll(() => server.dispose());

  for (const name of CLIENTS) {
    it(`${name}: a policy that evicts sessions is reported once, as an event`, async () => {
      const app = await connect(name, [{ host: LOOPBACK, port: server.port }], { cluster: false });
      const store = new RedisStore({ client: app.client, prefix: prefix() });
      const warnings: RedisStoreWarning[] = [];
      store.on('warning', (warning) => warnings.push(warning));
      const first = once(store, 'warning');
      await store.create('a', record());
      await first;
      for (let i = 0; i < 5; i++) await store.get('a');
      const again = await store.checkMemoryPolicy();
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0]?.policy, 'allkeys-lru');
      assert.equal(warnings[0]?.code, 'SESS_REDIS_EVICTION_POLICY');
      assert.equal(again?.policy, 'allkeys-lru');
      await store.close();
      await app.close();
    });
  }
});

describe('outages', () => {
  for (const name of CLIENTS) {
    it(`${name}: with no error listener of the application's, an outage neither crashes nor hangs, and a write refused during it is never applied later`, async () => {
      const server = await startRedis();
      const app = await connect(name, [{ host: LOOPBACK, port: server.port }], {
        cluster: false,
        listen: false,
      });
      // A bound far beyond the test's own timeout: only failing fast can pass.
      const store = new RedisStore({
        client: app.client,
        prefix: prefix(),
        operationTimeoutMs: 600_000,
      });
      const uncaught: unknown[] = [];
      const onUncaught = (error: unknown) => uncaught.push(error);
      process.on('uncaughtException', onUncaught);
      try {
        assert.ok((await store.create('before', record())).ok);
        await server.kill();
        // The client may take a moment to notice; the store must answer well within the test.
        let refused = false;
        for (let i = 0; i < 100 && !refused; i++) {
          try {
            await store.create(`during${i}`, record());
          } catch (error) {
            assert.ok(isSessionStoreError(error) && error.code === 'SESS_STORE_UNAVAILABLE');
            refused = true;
          }
        }
        assert.ok(refused, 'no write was refused during the outage');
        await rejectsWith(store.get('before'), 'SESS_STORE_UNAVAILABLE');
        await rejectsWith(store.create('refused', record()), 'SESS_STORE_UNAVAILABLE');
        await server.start();
        for (;;) {
          try {
            await store.get('before');
            break;
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
        assert.equal(await store.get('refused'), null, 'a refused write was applied after all');
        assert.ok((await store.create('after', record())).ok);
        assert.deepEqual(uncaught, []);
      } finally {
        process.off('uncaughtException', onUncaught);
        await store.close();
        await app.close();
        await server.dispose();
      }
    });
  }
});
