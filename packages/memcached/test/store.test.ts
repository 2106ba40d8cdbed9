import { once } from 'node:events';
import { Socket } from 'node:net';
import { startMemcached } from '@sess/test-servers';
import { afterAll, describe, expect, it } from 'vitest';
import { MemcachedClient, MemcachedStore } from '../src/index.js';
import { encodeRecord, newVersion, RECORD_FLAGS } from '../src/record.js';
import { countingDriver } from './support/counting-driver.js';
import { inAnHour, privatePool } from './support/servers.js';

const DAY = 86_400_000;
const pool = await privatePool(1);
afterAll(() => pool.dispose());

let sequence = 0;
function storeWith(options: { prefix?: string } = {}) {
  return new MemcachedStore({ client: pool.client, prefix: `t${sequence++}:`, ...options });
}
/** A store in a fresh namespace, and that namespace's key prefix. */
function namespaced() {
  const prefix = `t${sequence++}:`;
  return { prefix, store: new MemcachedStore({ client: pool.client, prefix }) };
}

describe('keys', () => {
  it('rejects a prefix that could push a key past 250 bytes, at construction', () => {
    expect(() => storeWith({ prefix: 'p'.repeat(123) })).toThrow(/1 to 122 characters/);
    expect(() => storeWith({ prefix: 'p'.repeat(122) })).not.toThrow();
  });

  it('rejects a prefix memcached would not accept in a key', () => {
    for (const prefix of ['', 'has space', 'tab\t', 'new\nline', 'é', '\u0000']) {
      expect(() => storeWith({ prefix }), JSON.stringify(prefix)).toThrow(/prefix/);
    }
  });

  it('stores under the longest prefix and the longest id: a 250-byte key', async () => {
    const store = storeWith({ prefix: `${'p'.repeat(120)}${sequence}:`.slice(-122) });
    const id = 'i'.repeat(128);
    expect((await store.create(id, { data: 'x', expiresAt: Date.now() + 60_000 })).ok).toBe(true);
    expect((await store.get(id))?.data).toBe('x');
  });
});

describe('expiry is always sent as absolute Unix seconds', () => {
  it('keeps a 31-day session alive on the server for 31 days, after create, update and touch', async () => {
    const { store, prefix } = namespaced();
    const expiresAt = Date.now() + 31 * DAY;
    const remaining = async (id: string) => pool.client.ttl(`${prefix}${id}`);
    const near31Days = (seconds: number | null) =>
      seconds !== null && Math.abs(seconds - 31 * 86_400) <= 5;

    expect((await store.create('created', { data: 'a', expiresAt })).ok).toBe(true);
    expect(near31Days(await remaining('created'))).toBe(true);

    await store.create('updated', { data: 'b', expiresAt: Date.now() + 60_000 });
    expect((await store.update('updated', { data: 'b2', expiresAt })).ok).toBe(true);
    expect(near31Days(await remaining('updated'))).toBe(true);

    await store.create('touched', { data: 'c', expiresAt: Date.now() + 60_000 });
    expect(await store.touch('touched', expiresAt)).toBe(true);
    expect(near31Days(await remaining('touched'))).toBe(true);
    expect((await store.get('touched'))?.expiresAt).toBe(expiresAt);
  });

  it('keeps a session of more than a year', async () => {
    const store = storeWith();
    const expiresAt = Date.now() + 400 * DAY;
    await store.create('long', { data: 'x', expiresAt });
    expect(await store.get('long')).toMatchObject({ data: 'x', expiresAt });
  });

  it('reports the exact expiry written, to the millisecond, before and after a touch', async () => {
    const store = storeWith();
    const first = Date.now() + 90_123;
    const version = await store.create('exact', { data: 'x', expiresAt: first });
    expect((await store.get('exact'))?.expiresAt).toBe(first);
    const second = Date.now() + 7_200_457;
    await store.touch('exact', second);
    const read = await store.get('exact');
    expect(read?.expiresAt).toBe(second);
    expect(version.ok && read?.version).toBe(version.ok && version.version);
  });
});

describe('round trips per operation', () => {
  it('get 1, create 1, update 2, touch 2, destroy 1', async () => {
    const { driver, during } = countingDriver(pool.client);
    const store = new MemcachedStore({ client: driver, prefix: `t${sequence++}:` });
    const record = { data: 'x', expiresAt: Date.now() + 60_000 };
    let version = '';
    expect(
      await during(async () => {
        const created = await store.create('a', record);
        if (created.ok) version = created.version;
      }),
    ).toEqual(['add']);
    expect(await during(() => store.get('a'))).toEqual(['get']);
    expect(await during(() => store.update('a', record, { ifVersion: version }))).toEqual([
      'get',
      'cas',
    ]);
    expect(await during(() => store.update('a', record))).toEqual(['get', 'cas']);
    expect(await during(() => store.touch('a', Date.now() + 120_000))).toEqual(['get', 'cas']);
    expect(await during(() => store.destroy('a'))).toEqual(['delete']);
    // Refusals cost one read.
    expect(await during(() => store.update('a', record))).toEqual(['get']);
    expect(await during(() => store.touch('a', Date.now() + 1000))).toEqual(['get']);
    expect(await during(() => store.get('a'))).toEqual(['get']);
  });

  it('create over a record expired by the clock but still held by memcached costs 3', async () => {
    const { driver, during } = countingDriver(pool.client);
    const prefix = `t${sequence++}:`;
    const store = new MemcachedStore({ client: driver, prefix });
    // memcached's clock is whole seconds and lags the wall clock, so it keeps a
    // record for a while after its exact expiry: plant one it will keep for an hour.
    const expired = encodeRecord({ data: 'old', expiresAt: Date.now() - 1 }, newVersion());
    await pool.client.set(`${prefix}b`, expired, { exptime: inAnHour(), flags: RECORD_FLAGS });
    expect(await store.get('b')).toBeNull();
    const calls = await during(() =>
      store.create('b', { data: 'new', expiresAt: Date.now() + 60_000 }),
    );
    expect(calls).toEqual(['add', 'get', 'cas']);
    expect((await store.get('b'))?.data).toBe('new');
    // The same held-over record is neither revived by update nor by touch.
    await pool.client.set(`${prefix}c`, expired, { exptime: inAnHour(), flags: RECORD_FLAGS });
    expect(await store.update('c', { data: 'x', expiresAt: Date.now() + 60_000 })).toEqual({
      ok: false,
      reason: 'missing',
    });
    expect(await store.touch('c', Date.now() + 60_000)).toBe(false);
  });
});

describe('payload limits', () => {
  it('declares maxPayloadBytes so the longest key, user id and payload fit a 1 MiB item', async () => {
    const store = storeWith({ prefix: `${'q'.repeat(121)}${sequence % 10}` });
    const limit = store.capabilities.maxPayloadBytes;
    expect(limit).toBeGreaterThan(1_040_000);
    const userId = '\uFFFD'.repeat(256); // 3 UTF-8 bytes each: the longest user id in bytes
    const data = 'd'.repeat(limit);
    const id = 'z'.repeat(128);
    const written = await store.create(id, { data, expiresAt: Date.now() + 60_000, userId });
    expect(written.ok).toBe(true);
    const read = await store.get(id);
    expect(read?.data === data && read.userId === userId).toBe(true);
  });

  it('refuses, before sending, a payload over the server’s real item size, and keeps the old record', async () => {
    const small = await privatePool(1, {}, ['-I', '64k', '-o', 'slab_chunk_max=32768']);
    try {
      // The store was told 1 MiB; the server only takes 64 KiB.
      const store = new MemcachedStore({ client: small.client, prefix: 'small:' });
      const created = await store.create('s', { data: 'old', expiresAt: Date.now() + 60_000 });
      const big = 'x'.repeat(100_000);
      const tooLarge = { code: 'SESS_PAYLOAD_TOO_LARGE' };
      await expect(
        store.update('s', { data: big, expiresAt: Date.now() + 60_000 }),
      ).rejects.toMatchObject(tooLarge);
      await expect(
        store.create('t', { data: big, expiresAt: Date.now() + 60_000 }),
      ).rejects.toMatchObject({ ...tooLarge, limit: expect.any(Number) });
      const read = await store.get('s');
      expect(read?.data).toBe('old');
      expect(created.ok && read?.version).toBe(created.ok && created.version);
      expect(await store.get('t')).toBeNull();
    } finally {
      await small.dispose();
    }
  });

  it('(why) memcached deletes the old item when sent a value over its item size', async () => {
    const server = await startMemcached(['-I', '64k', '-o', 'slab_chunk_max=32768']);
    const socket = new Socket().connect(server.port, '127.0.0.1');
    try {
      await once(socket, 'connect');
      let replies = '';
      socket.on('data', (chunk) => {
        replies += chunk.toString();
      });
      const until = async (count: number) => {
        while (replies.split('\r\n').length <= count) await new Promise((r) => setTimeout(r, 10));
      };
      socket.write('ms k 3 T0\r\nold\r\n');
      socket.write(`ms k 100000 T0 MR\r\n${'x'.repeat(100_000)}\r\n`);
      socket.write('mg k v\r\n');
      await until(3);
      expect(replies.split('\r\n').slice(0, 3)).toEqual([
        'HD',
        'SERVER_ERROR object too large for cache',
        'EN',
      ]);
    } finally {
      socket.destroy();
      await server.dispose();
    }
  });
});

describe('records', () => {
  it('marks its items with client flags and reads a foreign or broken item as corrupt', async () => {
    const { store, prefix } = namespaced();
    await store.create('ok', { data: 'x', expiresAt: Date.now() + 60_000 });
    expect((await pool.client.get(`${prefix}ok`))?.flags).toBe(RECORD_FLAGS);
    await pool.client.set(`${prefix}broken`, Buffer.from('no header at all'), {
      exptime: inAnHour(),
      flags: RECORD_FLAGS,
    });
    await expect(store.get('broken')).rejects.toMatchObject({ code: 'SESS_CORRUPT_RECORD' });
    await expect(store.touch('broken', Date.now() + 1000)).rejects.toMatchObject({
      code: 'SESS_CORRUPT_RECORD',
    });
  });

  it('reads a record larger than its maxPayloadBytes, or not UTF-8, as corrupt, never as data', async () => {
    const prefix = `t${sequence++}:`;
    const store = new MemcachedStore({ client: pool.client, prefix, itemSizeMax: 8192 });
    const expiresAt = Date.now() + 60_000;
    const plant = (id: string, value: Buffer) =>
      pool.client.set(`${prefix}${id}`, value, { exptime: inAnHour(), flags: RECORD_FLAGS });
    // Written by a store with a larger limit, or planted: 64 KiB of data.
    await plant('big', encodeRecord({ data: 'x'.repeat(65_536), expiresAt }, newVersion()));
    const latin = encodeRecord({ data: 'caf\u00e9', expiresAt }, newVersion());
    await plant('latin', Buffer.from(latin.toString('utf8'), 'latin1'));
    await expect(store.get('big')).rejects.toMatchObject({ code: 'SESS_CORRUPT_RECORD' });
    await expect(store.get('latin')).rejects.toMatchObject({ code: 'SESS_CORRUPT_RECORD' });
  });

  it('declares no listing, counting, clearing or per-user logout, and refuses them', async () => {
    const store = storeWith();
    expect(store.capabilities).toMatchObject({
      expiry: 'native',
      ttlResolutionMs: 1000,
      list: false,
      count: false,
      users: false,
      clear: false,
    });
    for (const call of [
      () => store.list(),
      () => store.count(),
      () => store.clear(),
      () => store.destroyByUser(),
      () => store.clearExpired(),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'SESS_UNSUPPORTED' });
    }
  });
});

describe('ownership', () => {
  it('a store handed a client leaves it open when closed', async () => {
    const store = storeWith();
    await store.close();
    await expect(store.get('a')).rejects.toMatchObject({ code: 'SESS_STORE_UNAVAILABLE' });
    expect(await pool.client.get('anything')).toBeNull();
  });

  it('a store given servers opens its own client and closes it', async () => {
    const store = new MemcachedStore({ servers: [pool.servers[0]!.location], prefix: 'own:' });
    await store.create('a', { data: 'x', expiresAt: Date.now() + 60_000 });
    expect((await store.get('a'))?.data).toBe('x');
    await store.close();
    await store.close();
    await expect(store.get('a')).rejects.toMatchObject({ code: 'SESS_STORE_UNAVAILABLE' });
  });

  it('rejects contradictory or invalid options', () => {
    const client = pool.client;
    expect(() => new MemcachedStore({ client, servers: ['127.0.0.1:1'] } as never)).toThrow(
      /either/,
    );
    expect(() => new MemcachedStore({ servers: ['localhost'] })).toThrow(/host:port/);
    expect(() => new MemcachedStore({ client, itemSizeMax: 1000 })).toThrow(/itemSizeMax/);
    expect(() => new MemcachedStore({ client, operationTimeoutMs: 0 })).toThrow(
      /operationTimeoutMs/,
    );
    expect(() => new MemcachedClient({ servers: [] })).toThrow(/servers/);
  });
});
