import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { InvalidOptionError } from '@sess/core';
import { freePort } from '@sess/test-servers';
import { afterAll, describe, expect, it } from 'vitest';
import { MemcachedClient } from '../src/index.js';
import { inAnHour, privatePool } from './support/servers.js';

const pool = await privatePool(1);
afterAll(() => pool.dispose());

describe('MemcachedClient', () => {
  it('refuses keys memcached would misread, before sending anything', async () => {
    for (const key of ['', 'a b', 'a\r\nflush_all', 'k'.repeat(251), 'é']) {
      await expect(pool.client.get(key), JSON.stringify(key)).rejects.toThrow(/250 bytes/);
    }
    // The connection is still in step: a real read works.
    await pool.client.set('in-step', Buffer.from('yes'), { exptime: inAnHour(), flags: 0 });
    expect((await pool.client.get('in-step'))?.value.toString()).toBe('yes');
  });

  it('refuses exptime, flags, CAS tokens and values that would end the command line early', async () => {
    const canary = { exptime: inAnHour(), flags: 0 };
    await pool.client.set('canary', Buffer.from('alive'), canary);
    const smuggled = '0 MS\r\nmd canary' as unknown as number;
    const attempts: Array<[string, () => Promise<unknown>]> = [
      [
        'set exptime',
        () => pool.client.set('k', Buffer.from('v'), { exptime: smuggled, flags: 0 }),
      ],
      ['set flags', () => pool.client.set('k', Buffer.from('v'), { exptime: 0, flags: smuggled })],
      [
        'add exptime',
        () => pool.client.add('k', Buffer.from('v'), { exptime: smuggled, flags: 0 }),
      ],
      ['touch exptime', () => pool.client.touch('k', smuggled)],
      ['fractional exptime', () => pool.client.touch('k', 1.5)],
      [
        'flags over 32 bits',
        () => pool.client.set('k', Buffer.from('v'), { exptime: 0, flags: 2 ** 32 }),
      ],
      [
        'cas token',
        () => pool.client.cas('k', Buffer.from('v'), { ...canary, cas: '1 I\r\nmd canary' }),
      ],
      ['string value', () => pool.client.set('k', 'é\r\nmd canary' as unknown as Buffer, canary)],
    ];
    for (const [what, attempt] of attempts) {
      await expect(attempt(), what).rejects.toBeInstanceOf(InvalidOptionError);
    }
    // Nothing reached the server: the canary lives and the connection is in step.
    expect((await pool.client.get('canary'))?.value.toString()).toBe('alive');
  });

  it('speaks add, compare-and-set, touch and delete with their outcomes', async () => {
    const options = { exptime: inAnHour(), flags: 5 };
    expect(await pool.client.add('ops', Buffer.from('1'), options)).toBe(true);
    expect(await pool.client.add('ops', Buffer.from('2'), options)).toBe(false);
    const item = await pool.client.get('ops');
    expect(item?.flags).toBe(5);
    expect(await pool.client.cas('ops', Buffer.from('3'), { ...options, cas: '1' })).toBe('exists');
    expect(await pool.client.cas('ops', Buffer.from('3'), { ...options, cas: item!.cas })).toBe(
      'stored',
    );
    expect(await pool.client.touch('ops', inAnHour() + 60)).toBe(true);
    expect(await pool.client.delete('ops')).toBe(true);
    expect(await pool.client.delete('ops')).toBe(false);
    expect(await pool.client.cas('ops', Buffer.from('4'), { ...options, cas: item!.cas })).toBe(
      'missing',
    );
    expect(await pool.client.touch('ops', inAnHour())).toBe(false);
  });

  it('deletes only while the CAS token matches, when given one', async () => {
    const options = { exptime: inAnHour(), flags: 0 };
    await pool.client.set('cas-delete', Buffer.from('1'), options);
    const item = await pool.client.get('cas-delete');
    await pool.client.set('cas-delete', Buffer.from('2'), options);
    expect(await pool.client.delete('cas-delete', { cas: item!.cas })).toBe(false);
    expect((await pool.client.get('cas-delete'))?.value.toString()).toBe('2');
    const current = await pool.client.get('cas-delete');
    expect(await pool.client.delete('cas-delete', { cas: current!.cas })).toBe(true);
    expect(await pool.client.get('cas-delete')).toBeNull();
    await expect(pool.client.delete('cas-delete', { cas: '1 noreply' })).rejects.toMatchObject({
      code: 'SESS_INVALID_OPTION',
    });
  });

  it('prepends and reads back with a new expiry in one exchange, and never creates an item', async () => {
    expect(await pool.client.prependAndTouch('prepended', Buffer.from('a'), inAnHour())).toBeNull();
    expect(await pool.client.get('prepended')).toBeNull();
    await pool.client.set('prepended', Buffer.from('body'), { exptime: inAnHour(), flags: 7 });
    const item = await pool.client.prependAndTouch(
      'prepended',
      Buffer.from('head:'),
      inAnHour() + 7200,
    );
    expect(item?.value.toString()).toBe('head:body');
    expect(item?.flags).toBe(7);
    expect(await pool.client.ttl('prepended')).toBeGreaterThan(3 * 3600 - 10);
    await expect(
      pool.client.prependAndTouch('prepended', Buffer.from('x'), 1.5),
    ).rejects.toMatchObject({ code: 'SESS_INVALID_OPTION' });
  });

  it('fails at once when nothing listens, without waiting out the connect timeout', async () => {
    // A connect timeout longer than the test's: a request that waited for it would hang the test.
    const client = new MemcachedClient({
      servers: [`127.0.0.1:${await freePort()}`],
      connectTimeoutMs: 600_000,
    });
    try {
      for (let i = 0; i < 5; i++) {
        const error = await client.get('k').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(Error);
        expect(String((error as Error).message)).toMatch(/memcached 127\.0\.0\.1:\d+/);
        expect(((error as Error).cause as { code?: string }).code).toBe('ECONNREFUSED');
      }
    } finally {
      await client.close();
    }
  });

  it('uses a restarted server on the very next request, however long retryDelayMs is', async () => {
    const own = await privatePool(1, { retryDelayMs: 600_000 });
    try {
      const server = own.servers[0]!;
      await own.client.set('before', Buffer.from('1'), { exptime: inAnHour(), flags: 0 });
      await server.kill();
      await expect(own.client.get('before')).rejects.toThrow(/memcached/);
      await server.start();
      await own.client.set('after', Buffer.from('2'), { exptime: inAnHour(), flags: 0 });
      expect((await own.client.get('after'))?.value.toString()).toBe('2');
    } finally {
      await own.dispose();
    }
  });

  it('after a dial that timed out, fails at once for retryDelayMs instead of dialling again', async () => {
    // A server that accepts connections and never answers: the handshake times out.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const { port } = silent.address() as AddressInfo;
    const client = new MemcachedClient({
      servers: [`127.0.0.1:${port}`],
      replyTimeoutMs: 50,
      retryDelayMs: 600_000,
    });
    try {
      const first = (await client.get('k').catch((e: unknown) => e)) as Error;
      expect(String((first.cause as Error | undefined)?.message)).toMatch(/sent no reply/);
      // "unreachable" is the answer given without dialling.
      await expect(client.get('k')).rejects.toThrow(/is unreachable/);
    } finally {
      await client.close();
      for (const socket of sockets) socket.destroy();
      silent.close();
      await once(silent, 'close');
    }
  });

  it("reads one server's stats and settings, and refuses a server it was not given", async () => {
    const location = pool.servers[0]!.location;
    const settings = await pool.client.stats(location, 'settings');
    expect(Number(settings.get('item_size_max'))).toBeGreaterThan(0);
    const stats = await pool.client.stats(location);
    expect(Math.abs(Number(stats.get('time')) - Date.now() / 1000)).toBeLessThan(5);
    await expect(pool.client.stats('127.0.0.1:1')).rejects.toThrow(InvalidOptionError);
  });

  it('fails requests still pending when closed, and every later one', async () => {
    const client = new MemcachedClient({ servers: [pool.servers[0]!.location] });
    const pending = client.get('k');
    await client.close();
    await expect(pending).rejects.toThrow(/closed/);
    await expect(client.get('k')).rejects.toThrow(/closed/);
  });

  it('pipelines many requests on one connection and answers each in order', async () => {
    const options = { exptime: inAnHour(), flags: 0 };
    await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        pool.client.set(`p${i}`, Buffer.from(`v${i}`), options),
      ),
    );
    const values = await Promise.all(
      Array.from({ length: 500 }, async (_, i) =>
        (await pool.client.get(`p${i}`))?.value.toString(),
      ),
    );
    expect(values).toEqual(Array.from({ length: 500 }, (_, i) => `v${i}`));
  });
});
