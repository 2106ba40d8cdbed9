import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore, type SweepReport } from '../src/index.js';
import { scratchRoot } from './support/directories.js';
import { Worker } from './support/workers.js';

const root = scratchRoot('sweeper');
let sequence = 0;

function clockedStore() {
  let now = Date.now();
  const store = new FileStore({ directory: join(root, `store${sequence++}`), now: () => now });
  return { store, advance: (ms: number) => (now += ms), now: () => now };
}

describe('startSweeper', () => {
  it('refuses an interval under a second or a jitter outside 0..1', async () => {
    const { store } = clockedStore();
    expect(() => store.startSweeper({ intervalMs: 999 })).toThrow(/intervalMs/);
    expect(() => store.startSweeper({ intervalMs: 1000, jitter: 2 })).toThrow(/jitter/);
    await store.close();
  });

  it('sweeps expired records and reports each sweep', async () => {
    const { store, advance, now } = clockedStore();
    const reports: SweepReport[] = [];
    try {
      await store.create('short', { data: 'x', expiresAt: now() + 1000, userId: 'u' });
      await store.create('long', { data: 'x', expiresAt: now() + 60_000, userId: 'u' });
      const sweeper = store.startSweeper({ intervalMs: 60_000, onSweep: (r) => reports.push(r) });
      advance(1000);
      const report = await sweeper.runNow();
      expect(report).toMatchObject({ deleted: 1, staleTemps: 0 });
      expect(reports).toEqual([report]);
      expect(await store.list({ userId: 'u' })).toEqual({ ids: ['long'] });
      await sweeper.stop();
    } finally {
      await store.close();
    }
  });

  it('sends a failed sweep to onError and keeps the store usable', async () => {
    const { store } = clockedStore();
    const errors: Error[] = [];
    const sweeper = store.startSweeper({ intervalMs: 60_000, onError: (e) => errors.push(e) });
    await store.close();
    await expect(sweeper.runNow()).rejects.toMatchObject({ code: 'SESS_STORE_UNAVAILABLE' });
    expect(errors).toHaveLength(1);
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
