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

/** Bytes the server has sent to all its clients so far. */
async function netOutput(app: TestClient): Promise<number> {
  const info = String(await app.command(['INFO', 'stats']));
  return Number(/total_net_output_bytes:(\d+)/.exec(info)?.[1]);
}

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

    it('keeps records at <prefix>|s|<id> and user indexes at <prefix>|u|<user>', async () => {
      const p = prefix();
      const store = new RedisStore({ client: app.client, prefix: p });
      await store.create('a', record('a', 'ü ser'));
      const keys = (await app.command(['KEYS', `${p}*`])) as string[];
      assert.deepEqual([...keys].sort(), [`${p}|s|a`, `${p}|u|${encodeURIComponent('ü ser')}`]);
      assert.equal(await app.command(['TYPE', `${p}|s|a`]), 'string');
      await store.close();
    });

    it('clear() removes the records and the user indexes, and no other key under the prefix', async () => {
      const mine = prefix('mine');
      const store = new RedisStore({ client: app.client, prefix: mine });
      // An application's own keys beside the store's, some in forms close to the store's.
      const others: Array<[string, string]> = [
        [mine.slice(0, -1), 'not under the prefix'],
        [`${mine}config`, 'config'],
        [`${mine}|config`, 'another tag'],
        [`${mine}|s|not an id`, 'no session id'],
        [`${mine}|u|mallory`, 'a string where an index would be'],
      ];
      for (const [key, value] of others) await app.command(['SET', key, value]);
      await app.command(['RPUSH', `${mine}|s|queue`, 'a list where a record would be']);
      await store.create('a', record('a', 'alice'));
      await store.create('b', record('b'));
      await store.clear();
      assert.equal(await store.get('a'), null);
      assert.equal(await store.get('b'), null);
      for (const [key, value] of others) assert.equal(await app.command(['GET', key]), value, key);
      assert.equal(await app.command(['LLEN', `${mine}|s|queue`]), 1);
      const left = (await app.command(['KEYS', `${mine}*`])) as string[];
      assert.equal(left.length, others.length, 'clear() left a key of its own or took another');
      await store.close();
    });

    it('stores whose prefixes are prefixes of each other share no key (app and app1, app: and app:admin:)', async () => {
      const base = prefix('overlap');
      const open = (p: string) => new RedisStore({ client: app.client, prefix: `${base}${p}` });
      const [app0, app1, appColon, admin] = ['app', 'app1', 'app:', 'app:admin:'].map(open) as [
        RedisStore,
        RedisStore,
        RedisStore,
        RedisStore,
      ];
      const unrelated = ['app:config', 'app:queue', 'app:cache:x'].map((k) => `${base}${k}`);
      for (const key of unrelated) await app.command(['SET', key, 'kept'], key);
      try {
        assert.ok((await app1.create('abc', record('b', 'user'))).ok);
        assert.equal(await app0.get('1abc'), null, "store app reads app1's session");
        assert.ok((await app0.create('1abc', record('a', 'user'))).ok);
        assert.equal((await app1.get('abc'))?.data, 'b', "app's create reached app1's session");
        assert.equal(await app0.count(), 1);
        assert.deepEqual(await listAll(app0), ['1abc']);
        assert.equal(await app0.destroyByUser('user'), 1);
        assert.equal((await app1.get('abc'))?.data, 'b', "app's destroyByUser reached app1");

        assert.ok((await admin.create('s1', record('admin', 'root'))).ok);
        assert.ok((await appColon.create('s2', record('plain', 'root'))).ok);
        assert.equal(await appColon.count(), 1);
        assert.deepEqual(await listAll(appColon), ['s2']);
        await appColon.clear();
        assert.equal((await admin.get('s1'))?.data, 'admin', "app:'s clear() reached app:admin:");
        assert.deepEqual((await admin.list({ userId: 'root' })).ids, ['s1']);
        for (const key of unrelated) assert.equal(await app.command(['GET', key], key), 'kept');
      } finally {
        for (const store of [app0, app1, appColon, admin]) await store.close();
      }
    });

    it('reads at most maxPayloadBytes of data: a far larger record is corrupt, and is not fetched', async () => {
      const p = prefix();
      const store = new RedisStore({ client: app.client, prefix: p, maxPayloadBytes: 1024 });
      const created = await store.create('big', record('x'.repeat(1024)));
      assert.ok(created.ok);
      assert.equal((await store.get('big'))?.data.length, 1024, 'a record at the limit reads');
      // 100 MB of data behind a valid header, as an attacker with write access could leave it.
      const key = `${p}|s|big`;
      await app.command(['SETRANGE', key, String(100 * 2 ** 20), 'x'], key);
      const sentBefore = await netOutput(app);
      await rejectsWith(store.get('big'), 'SESS_CORRUPT_RECORD');
      const sent = (await netOutput(app)) - sentBefore;
      assert.ok(sent < 64 * 1024, `get() fetched ${sent} bytes of a 100 MB record`);
      await store.destroy('big');
      assert.equal(await app.command(['EXISTS', key], key), 0);
      await store.close();
    });

    it('reads stored text strictly as UTF-8: invalid bytes are a corrupt record, never U+FFFD', async () => {
      const p = prefix();
      const store = new RedisStore({ client: app.client, prefix: p });
      assert.ok((await store.create('a', record('ok'))).ok);
      const key = `${p}|s|a`;
      const value = (await app.command(['GET', key], key)) as string;
      // The payload 'ok' becomes the bytes C3 28: a UTF-8 lead byte with no continuation.
      await app.command(
        ['SETRANGE', key, String(value.length - 2), Buffer.from([0xc3, 0x28])],
        key,
      );
      await rejectsWith(store.get('a'), 'SESS_CORRUPT_RECORD');
      await store.close();
    });

    it('records expire natively at expiresAt, to the millisecond (Redis keeps them until expiresAt - 1)', async () => {
      const p = prefix();
      const store = new RedisStore({ client: app.client, prefix: p });
      const expiresAt = Date.now() + HOUR + 1234;
      await store.create('a', { data: 'x', expiresAt });
      const key = `${p}|s|a`;
      assert.equal(Number(await app.command(['PEXPIRETIME', key])), expiresAt - 1);
      await store.touch('a', expiresAt + 1);
      assert.equal(Number(await app.command(['PEXPIRETIME', key])), expiresAt);
      await store.update('a', { data: 'y', expiresAt: expiresAt + 2 });
      assert.equal(Number(await app.command(['PEXPIRETIME', key])), expiresAt + 1);
      await store.close();
    });

    it('a touch past what the user index covers extends the index first', async () => {
      const p = prefix();
      const store = new RedisStore({ client: app.client, prefix: p });
      const index = `${p}|u|${encodeURIComponent('ü ser')}`;
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
  it('rejects what cannot be a client, a prefix that is empty or holds the separator "|", and bad limits', () => {
    const client = new Redis({ lazyConnect: true });
    for (const options of [
      { client: {} },
      { client: null },
      { client, prefix: '' },
      { client, prefix: 'app|' },
      { client, prefix: 'a|s|b' },
      { client, prefix: 42 },
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
