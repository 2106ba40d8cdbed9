import { once } from 'node:events';
import { Socket } from 'node:net';
import { InvalidSessionIdError } from '@sess/core';
import { startMemcached } from '@sess/test-servers';
import { afterAll, describe, expect, it } from 'vitest';
import { MemcachedClient, type MemcachedDriver, MemcachedStore } from '../src/index.js';
import { encodeRecord, newVersion, RECORD_FLAGS, touchLine } from '../src/record.js';
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
    expect(() => storeWith({ prefix: `${'p'.repeat(122)}:` })).toThrow(/1 to 122 characters/);
    expect(() => storeWith({ prefix: `${'p'.repeat(121)}:` })).not.toThrow();
  });

  it('rejects a prefix that another prefix could reach: it must end with a character no id holds', async () => {
    for (const prefix of ['app', 'app1', 'a_', 'a-', 'A']) {
      expect(() => storeWith({ prefix }), prefix).toThrow(
        /end with a character that no session id holds/,
      );
    }
    // With separators, 'app:' and 'app:1:' hold disjoint keys: an id of the
    // first store cannot hold ':', so it never reaches the second's.
    const tag = `m${sequence++}`;
    const outer = storeWith({ prefix: `${tag}:` });
    const inner = storeWith({ prefix: `${tag}:1:` });
    const expiresAt = Date.now() + 60_000;
    expect((await inner.create('abc', { data: 'inner', expiresAt })).ok).toBe(true);
    await expect(outer.get('1:abc')).rejects.toThrow(InvalidSessionIdError);
    expect(await outer.get('1abc')).toBeNull();
    expect((await outer.create('1abc', { data: 'outer', expiresAt })).ok).toBe(true);
    expect((await inner.get('abc'))?.data).toBe('inner');
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
  it('get 1, create 1, update 2, touch 1, destroy 1', async () => {
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
    expect(await during(() => store.touch('a', Date.now() + 120_000))).toEqual(['prependAndTouch']);
    expect(await during(() => store.destroy('a'))).toEqual(['delete']);
    // Refusals cost one round trip.
    expect(await during(() => store.update('a', record))).toEqual(['get']);
    expect(await during(() => store.touch('a', Date.now() + 1000))).toEqual(['prependAndTouch']);
    expect(await during(() => store.get('a'))).toEqual(['get']);
  });

  it('touch through a driver that cannot prepend: 2 (read, compare-and-set)', async () => {
    const { driver, during } = countingDriver(pool.client, { prepend: false });
    const store = new MemcachedStore({ client: driver, prefix: `t${sequence++}:` });
    const created = await store.create('a', { data: 'x', expiresAt: Date.now() + 60_000 });
    const expiresAt = Date.now() + 120_000;
    expect(await during(() => store.touch('a', expiresAt))).toEqual(['get', 'cas']);
    expect(await store.get('a')).toMatchObject({
      expiresAt,
      version: created.ok && created.version,
    });
    await store.destroy('a');
    expect(await during(() => store.touch('a', expiresAt))).toEqual(['get']);
  });

  it('every 16th touch in a row also folds the touch lines into the header: 2', async () => {
    const { driver, during } = countingDriver(pool.client);
    const prefix = `t${sequence++}:`;
    const store = new MemcachedStore({ client: driver, prefix });
    const created = await store.create('a', { data: 'x', expiresAt: Date.now() + 60_000 });
    const trips: string[][] = [];
    let expiresAt = 0;
    for (let i = 1; i <= 17; i++) {
      expiresAt = Date.now() + 60_000 + i;
      trips.push(await during(() => store.touch('a', expiresAt)));
    }
    expect(trips.slice(0, 15)).toEqual(Array(15).fill(['prependAndTouch']));
    expect(trips[15]).toEqual(['prependAndTouch', 'cas']);
    expect(trips[16]).toEqual(['prependAndTouch']);
    // Folded: one line (the 17th touch) above the header.
    const raw = (await pool.client.get(`${prefix}a`))?.value.toString() ?? '';
    expect(raw.split('\n').filter((line) => line.startsWith('t'))).toHaveLength(1);
    expect(await store.get('a')).toMatchObject({
      data: 'x',
      expiresAt,
      version: created.ok && created.version,
    });
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

  it('touch of a record expired by the clock but still held by memcached costs 2 and deletes it', async () => {
    const { driver, during } = countingDriver(pool.client);
    const prefix = `t${sequence++}:`;
    const store = new MemcachedStore({ client: driver, prefix });
    const expired = encodeRecord({ data: 'old', expiresAt: Date.now() - 1 }, newVersion());
    await pool.client.set(`${prefix}d`, expired, { exptime: inAnHour(), flags: RECORD_FLAGS });
    expect(
      await during(async () => expect(await store.touch('d', Date.now() + 60_000)).toBe(false)),
    ).toEqual(['prependAndTouch', 'delete']);
    // Deleted: the read had moved memcached's expiry, and the record was dead.
    expect(await pool.client.get(`${prefix}d`)).toBeNull();
  });
});

describe('touch lines', () => {
  /** A record memcached holds for an hour, whose exact expiry is `expiresAt`. */
  async function plant(key: string, expiresAt: number, lines: Buffer[] = []) {
    const record = encodeRecord({ data: 'old', expiresAt }, newVersion());
    const value = Buffer.concat([...lines, record]);
    await pool.client.set(key, value, { exptime: inAnHour(), flags: RECORD_FLAGS });
  }

  it('a touch line sent after the exact expiry revives nothing, for any reader', async () => {
    const { store, prefix } = namespaced();
    const now = Date.now();
    // A touch that reached a held-over record and whose delete never came.
    await plant(`${prefix}a`, now - 10, [touchLine(now + 3_600_000, now)]);
    expect(await store.get('a')).toBeNull();
    expect(await store.update('a', { data: 'new', expiresAt: now + 60_000 })).toEqual({
      ok: false,
      reason: 'missing',
    });
    expect(await store.touch('a', now + 60_000)).toBe(false);
    expect((await store.create('a', { data: 'new', expiresAt: now + 60_000 })).ok).toBe(true);
    expect((await store.get('a'))?.data).toBe('new');
  });

  it('lines count from the oldest up, each only if the record was live when it was sent', async () => {
    const { store, prefix } = namespaced();
    const now = Date.now();
    const base = now + 1_000;
    // Oldest (last) first: live at now - 5 → moves to now + 2h; then live at
    // now → moves to now + 5 min. The newest was sent at now + 3h, after
    // that expiry: ignored.
    const lines = [
      touchLine(now + 9_000_000, now + 10_800_000),
      touchLine(now + 300_000, now),
      touchLine(now + 7_200_000, now - 5),
    ];
    await plant(`${prefix}b`, base, lines);
    expect((await store.get('b'))?.expiresAt).toBe(now + 300_000);
  });

  it('concurrent touches leave memcached expiring the record when its lines say', async () => {
    const { store, prefix } = namespaced();
    await store.create('c', { data: 'x', expiresAt: Date.now() + 60_000 });
    const HOUR = 3_600_000;
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) => store.touch('c', Date.now() + (i + 1) * HOUR)),
    );
    expect(results.every(Boolean)).toBe(true);
    const read = await store.get('c');
    const remaining = await pool.client.ttl(`${prefix}c`);
    expect(read).not.toBeNull();
    expect(remaining).not.toBeNull();
    // Each touch asked for a different hour: a stale TTL would be off by hours.
    expect(
      Math.abs((remaining as number) * 1000 - ((read?.expiresAt ?? 0) - Date.now())),
    ).toBeLessThan(5_000);
  });

  it('a touch whose read finds another touch on top rewrites the record, keeping both expiries in step', async () => {
    const prefix = `t${sequence++}:`;
    const other = new MemcachedStore({ client: pool.client, prefix });
    const key = `${prefix}e`;
    const HOUR = 3_600_000;
    const otherExpiry = Date.now() + 5 * HOUR;
    // Another touch runs whole between this touch's prepend and its read (as
    // from another connection or process), so the read's TTL is stale.
    const interleaved: MemcachedDriver = {
      get: (k) => pool.client.get(k),
      add: (k, value, options) => pool.client.add(k, value, options),
      cas: (k, value, options) => pool.client.cas(k, value, options),
      delete: (k, options) => pool.client.delete(k, options),
      close: async () => {},
      async prependAndTouch(k, head, exptime) {
        await pool.client.prependAndTouch(k, head, 0);
        expect(await other.touch('e', otherExpiry)).toBe(true);
        await pool.client.touch(k, exptime);
        return pool.client.get(k);
      },
    };
    const store = new MemcachedStore({ client: interleaved, prefix });
    await store.create('e', { data: 'x', expiresAt: Date.now() + 60_000 });
    const expiresAt = Date.now() + HOUR;
    expect(await store.touch('e', expiresAt)).toBe(true);
    expect(await store.get('e')).toMatchObject({ data: 'x', expiresAt });
    const remaining = (await pool.client.ttl(key)) as number;
    expect(Math.abs(remaining * 1000 - (expiresAt - Date.now()))).toBeLessThan(5_000);
  });

  it('a touch of a record too large to grow by a line rewrites it instead, and keeps it', async () => {
    const { driver, during } = countingDriver(pool.client);
    const prefix = `t${sequence++}:`;
    // Told a larger limit than the server's, so it reads back what the server holds.
    const store = new MemcachedStore({ client: driver, prefix, itemSizeMax: 2 * 1024 * 1024 });
    const key = `${prefix}big`;
    const version = newVersion();
    const header = encodeRecord({ data: '', expiresAt: Date.now() + 60_000 }, version).length;
    // The largest value the server stores under this key (see ITEM_OVERHEAD in connection.ts).
    const data = 'd'.repeat(pool.client.itemSizeMax(key) - 64 - key.length - header);
    const value = encodeRecord({ data, expiresAt: Date.now() + 60_000 }, version);
    await pool.client.set(key, value, { exptime: inAnHour(), flags: RECORD_FLAGS });
    const expiresAt = Date.now() + 120_000;
    expect(
      await during(async () => expect(await store.touch('big', expiresAt)).toBe(true)),
    ).toEqual(['prependAndTouch', 'get', 'cas']);
    const read = await store.get('big');
    expect(read?.data === data).toBe(true);
    expect(read).toMatchObject({ expiresAt, version });
  });
});

describe('payload limits', () => {
  it('declares maxPayloadBytes so the longest key, user id and payload fit a 1 MiB item', async () => {
    const store = storeWith({ prefix: `${'q'.repeat(120)}${sequence % 10}:` });
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
