import { afterAll, describe, expect, it } from 'vitest';
import { MemcachedStore } from '../src/index.js';
import { privatePool } from './support/servers.js';

const pool = await privatePool(2);
afterAll(() => pool.dispose());

const [first, second] = pool.servers.map((server) => server.location) as [string, string];
const store = new MemcachedStore({ client: pool.client, prefix: 'pool:' });

/** Session ids until `count` of them live on each server. */
function idsOnEachServer(count: number): { onFirst: string[]; onSecond: string[] } {
  const onFirst: string[] = [];
  const onSecond: string[] = [];
  for (let i = 0; onFirst.length < count || onSecond.length < count; i++) {
    const id = `session-${i}`;
    const owner = pool.client.serverFor(`pool:${id}`);
    if (owner === first && onFirst.length < count) onFirst.push(id);
    if (owner === second && onSecond.length < count) onSecond.push(id);
  }
  return { onFirst, onSecond };
}

describe('a pool of two servers', () => {
  it('spreads sessions over both servers, each always on the same one', async () => {
    const owners = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const owner = pool.client.serverFor(`pool:spread-${i}`);
      owners.set(owner, (owners.get(owner) ?? 0) + 1);
      expect(pool.client.serverFor(`pool:spread-${i}`)).toBe(owner);
    }
    expect([...owners.keys()].sort()).toEqual([first, second].sort());
    for (const count of owners.values()) expect(count).toBeGreaterThan(300);
  });

  it('keeps serving the sessions of the live server while the other is down, and fails fast for the rest', async () => {
    const { onFirst, onSecond } = idsOnEachServer(20);
    const record = { data: 'kept', expiresAt: Date.now() + 3_600_000 };
    for (const id of [...onFirst, ...onSecond])
      expect((await store.create(id, record)).ok).toBe(true);

    await pool.servers[1]!.kill();
    try {
      for (const id of onFirst) expect((await store.get(id))?.data).toBe('kept');
      expect((await store.update(onFirst[0]!, { ...record, data: 'changed' })).ok).toBe(true);
      expect(await store.touch(onFirst[1]!, Date.now() + 7_200_000)).toBe(true);

      for (const id of onSecond) {
        const started = performance.now();
        await expect(store.get(id)).rejects.toMatchObject({ code: 'SESS_STORE_UNAVAILABLE' });
        // Far below the 2000 ms operation timeout: the dead server is not waited for.
        expect(performance.now() - started).toBeLessThan(500);
      }
      await expect(store.create(onSecond[0]!, record)).rejects.toMatchObject({
        code: 'SESS_STORE_UNAVAILABLE',
      });
    } finally {
      await pool.servers[1]!.start();
    }

    // The same store instance reaches the restarted server again (which lost its data).
    const deadline = Date.now() + 5_000;
    for (;;) {
      try {
        expect(await store.get(onSecond[0]!)).toBeNull();
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    expect((await store.create(onSecond[0]!, record)).ok).toBe(true);
    expect((await store.get(onFirst[0]!))?.data).toBe('changed');
  });
});
