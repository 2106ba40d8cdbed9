import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreUnavailableError } from '@sess/core';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../src/index.js';
import { scratchRoot } from './support/directories.js';

const root = scratchRoot('close');
const HOUR = 3_600_000;

/** Every path under `dir`, sorted. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.sort();
}

describe('close()', () => {
  it('waits for the operations in flight: once it resolves, every one has settled', async () => {
    const directory = join(root, 'in-flight');
    const store = new FileStore({ directory });
    const settled: boolean[] = [];
    const track = (operation: Promise<unknown>, index: number) => {
      settled[index] = false;
      return operation.then(
        () => {
          settled[index] = true;
        },
        () => {
          settled[index] = true;
        },
      );
    };
    const record = (i: number) => ({
      data: `v${i}`,
      expiresAt: Date.now() + HOUR,
      userId: `u${i % 3}`,
    });
    for (let i = 0; i < 20; i++) await store.create(`old${i}`, record(i));
    const operations = [
      ...Array.from({ length: 20 }, (_, i) => store.create(`new${i}`, record(i))),
      ...Array.from({ length: 20 }, (_, i) => store.update(`old${i}`, record(i + 1))),
      ...Array.from({ length: 10 }, (_, i) => store.destroy(`old${i}`)),
      store.destroyByUser('u1'),
    ].map(track);
    await store.close();
    expect(settled.filter((done) => !done)).toEqual([]);
    await Promise.all(operations);
    // Nothing writes any more: the directory can be removed whole.
    const before = await tree(directory);
    await rm(directory, { recursive: true });
    expect(before.length).toBeGreaterThan(0);
  });

  it('waits even for an operation whose caller already timed out', async (context) => {
    // Occupy every thread of libuv's pool with opens of FIFOs that have no
    // writer: the store's next file-system call waits behind them, past its
    // timeout, until the test lets them go.
    const directory = join(root, 'timed-out');
    const store = new FileStore({ directory, operationTimeoutMs: 100 });
    const threads = Number(process.env.UV_THREADPOOL_SIZE) || 4;
    const fifos = Array.from({ length: threads }, (_, i) => join(root, `fifo-${i}`));
    try {
      execFileSync('mkfifo', fifos);
    } catch {
      context.skip('mkfifo is not available');
    }
    const blockers = fifos.map((fifo) => open(fifo, 'r'));
    let closed = false;
    let released = false;
    const letGo = () => {
      if (!released) release(fifos);
      released = true;
    };
    try {
      const created = store.create('late', { data: 'x', expiresAt: Date.now() + HOUR });
      await expect(created).rejects.toBeInstanceOf(StoreUnavailableError);
      const closing = store.close().then(() => {
        closed = true;
      });
      // A close() that did not wait would have resolved within this pause.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(closed).toBe(false);
      letGo();
      await closing;
      // The abandoned create stopped before taking effect: no record, no lock file.
      expect((await tree(directory)).filter((name) => /late/.test(name))).toEqual([]);
    } finally {
      letGo();
      for (const handle of await Promise.all(blockers)) await handle.close();
    }
  });
});

/** Opens each FIFO for writing from this thread, which lets its blocked reader go. */
function release(fifos: readonly string[]): void {
  for (const fifo of fifos) closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
}
