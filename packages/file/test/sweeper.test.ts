import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sweeperSuite } from '@sess/session-suite';
import { describe, expect, it } from 'vitest';
import { FileStore, type FileSweepReport } from '../src/index.js';
import { shardOf } from '../src/layout.js';
import { scratchRoot } from './support/directories.js';
import { Worker } from './support/workers.js';

const root = scratchRoot('sweeper');

sweeperSuite({
  name: 'FileStore',
  createStore: ({ namespace, now }) => {
    const directory = join(root, namespace);
    return {
      store: new FileStore({ directory, now }),
      dispose: () => rm(directory, { recursive: true, force: true }),
    };
  },
});

describe('the FileStore sweeper', () => {
  it('a sweep also drops the swept session from its user index', async () => {
    let now = Date.now();
    const store = new FileStore({ directory: join(root, 'report'), now: () => now });
    try {
      await store.create('short', { data: 'x', expiresAt: now + 1000, userId: 'u' });
      await store.create('long', { data: 'x', expiresAt: now + 60_000, userId: 'u' });
      now += 1000;
      const sweeper = store.startSweeper({ intervalMs: 60_000 });
      const report: FileSweepReport = await sweeper.runNow();
      expect(report).toMatchObject({ deleted: 1, staleTemps: 0 });
      expect(await store.list({ userId: 'u' })).toEqual({ ids: ['long'] });
    } finally {
      await store.close();
    }
  });

  it('never removes a record that a create wrote over an expired one while the sweep ran', async () => {
    let now = Date.now();
    const store = new FileStore({ directory: join(root, 'race'), now: () => now });
    try {
      // All in one shard, so the sweep and the writers meet there.
      const ids = Array.from({ length: 200_000 }, (_, i) => `raced_${i}`)
        .filter((id) => shardOf(id) === '00')
        .slice(0, 1000);
      for (let i = 0; i < ids.length; i += 64) {
        await Promise.all(
          ids
            .slice(i, i + 64)
            .map((id) => store.create(id, { data: 'old', expiresAt: now + 1000 })),
        );
      }
      now += 1000;
      // Creates over the expired records, spread over the whole sweep.
      let sweeping = true;
      const created = new Set<string>();
      const writer = async (w: number) => {
        for (let i = w; sweeping && i < ids.length; i += 16) {
          const id = ids[i] as string;
          const result = await store.create(id, { data: 'new', expiresAt: now + 60_000 });
          if (result.ok) created.add(id);
        }
      };
      await Promise.all([
        store.clearExpired().finally(() => {
          sweeping = false;
        }),
        ...Array.from({ length: 16 }, (_, w) => writer(w)),
      ]);
      expect(created.size).toBeGreaterThan(0);
      const lost: string[] = [];
      for (const id of created) if ((await store.get(id))?.data !== 'new') lost.push(id);
      expect(lost).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('never keeps the process alive', async () => {
    const worker = new Worker({
      mode: 'idle-sweeper',
      directory: join(root, 'idle'),
      name: 'idle',
      ids: [],
    });
    await worker.ready;
    // The worker has nothing left but its sweeper's ten-minute timer: it exits on its own.
    const guard = setTimeout(() => worker.child.kill('SIGKILL'), 20_000);
    try {
      expect(await worker.exited, 'the sweeper kept the process alive').toBe(0);
    } finally {
      clearTimeout(guard);
    }
  });
});
