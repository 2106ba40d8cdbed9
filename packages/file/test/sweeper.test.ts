import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sweeperSuite } from '@sess/session-suite';
import { describe, expect, it } from 'vitest';
import { FileStore, type FileSweepReport } from '../src/index.js';
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
