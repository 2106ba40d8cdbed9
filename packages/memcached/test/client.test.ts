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

  it('fails fast when nothing listens, and again at once while the server stays down', async () => {
    const client = new MemcachedClient({ servers: [`127.0.0.1:${await freePort()}`] });
    try {
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        await expect(client.get('k')).rejects.toThrow(/memcached/);
        expect(performance.now() - started).toBeLessThan(250);
      }
    } finally {
      await client.close();
    }
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
