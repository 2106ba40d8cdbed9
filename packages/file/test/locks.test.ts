import { spawnSync } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FileStore, type FileStoreOptions } from '../src/index.js';
import { Layout, sweepMarker } from '../src/layout.js';
import { OWNER } from '../src/record-file.js';
import { scratchRoot } from './support/directories.js';

const root = scratchRoot('locks');
const HOUR = 3_600_000;
const HOST = OWNER.slice(OWNER.indexOf('@') + 1);
let sequence = 0;

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  if (typeof child.pid !== 'number') throw new Error('could not start a process');
  return child.pid;
}

async function storeWithRecord(options: Partial<FileStoreOptions> = {}) {
  const directory = join(root, `store${sequence++}`);
  const store = new FileStore({ directory, ...options });
  const created = await store.create('locked', { data: 'v1', expiresAt: Date.now() + HOUR });
  if (!created.ok) throw new Error('setup failed');
  return { store, paths: new Layout(directory).record('locked'), version: created.version };
}

describe('the per-record lock', () => {
  it('held by a live process makes writers wait, then fail with StoreUnavailableError', async () => {
    const { store, paths, version } = await storeWithRecord({ operationTimeoutMs: 300 });
    try {
      // This very process owns it, and is alive.
      await writeFile(paths.temp, `{"o":"${process.pid}@${HOST}","v":"next","d":"x"}`);
      await expect(
        store.update(
          'locked',
          { data: 'v2', expiresAt: Date.now() + HOUR },
          { ifVersion: version },
        ),
      ).rejects.toMatchObject({ code: 'SESS_STORE_UNAVAILABLE' });
      await expect(store.destroy('locked')).rejects.toMatchObject({
        code: 'SESS_STORE_UNAVAILABLE',
      });
      // Readers never wait for writers.
      expect((await store.get('locked'))?.data).toBe('v1');
      expect(await store.touch('locked', Date.now() + 2 * HOUR)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('left by a process that died is taken over at once, long before lockStaleMs', async () => {
    const { store, paths, version } = await storeWithRecord({
      operationTimeoutMs: 2000,
      lockStaleMs: 600_000,
    });
    try {
      await writeFile(paths.temp, `{"o":"${deadPid()}@${HOST}","v":"next","d":"half-writ`);
      const updated = await store.update(
        'locked',
        { data: 'v2', expiresAt: Date.now() + HOUR },
        { ifVersion: version },
      );
      expect(updated.ok).toBe(true);
      expect((await store.get('locked'))?.data).toBe('v2');
    } finally {
      await store.close();
    }
  });

  it('left empty (its owner died before writing it) is taken over after a short grace', async () => {
    const { store, paths } = await storeWithRecord({ lockStaleMs: 600_000 });
    try {
      await writeFile(paths.temp, '');
      const updated = await store.update('locked', { data: 'v2', expiresAt: Date.now() + HOUR });
      expect(updated.ok).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('of another host is taken over only once older than lockStaleMs', async () => {
    const { store, paths } = await storeWithRecord({ operationTimeoutMs: 2000, lockStaleMs: 300 });
    try {
      // A pid on another host cannot be checked, so only its age can make it stale.
      await writeFile(paths.temp, `{"o":"${deadPid()}@another-host","v":"next","d":"x"}`);
      const updated = await store.update('locked', { data: 'v2', expiresAt: Date.now() + HOUR });
      expect(updated.ok).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('left behind by a dead writer is removed by the sweep, a live one is kept', async () => {
    const directory = join(root, `sweep${sequence++}`);
    const store = new FileStore({ directory });
    const layout = new Layout(directory);
    try {
      for (const id of ['dead', 'alive']) {
        await store.create(id, { data: id, expiresAt: Date.now() + HOUR });
      }
      await writeFile(layout.record('dead').temp, `{"o":"${deadPid()}@${HOST}"}`);
      await writeFile(layout.record('alive').temp, `{"o":"${process.pid}@${HOST}"}`);
      const sweeper = store.startSweeper({ intervalMs: 60_000 });
      expect(await sweeper.runNow()).toMatchObject({ deleted: 0, staleTemps: 1 });
      await sweeper.stop();
      const left = await readdir(layout.record('alive').shardDir);
      expect(left).toContain('alive.tmp');
      expect(await readdir(layout.record('dead').shardDir)).not.toContain('dead.tmp');
      expect((await store.get('dead'))?.data).toBe('dead');
    } finally {
      await store.close();
    }
  });

  it('break markers left by a breaker that died are removed once stale', async () => {
    const { store, paths } = await storeWithRecord({ lockStaleMs: 100 });
    try {
      await writeFile(paths.breaker, '');
      await writeFile(paths.temp, '');
      await sleep(150);
      expect((await store.update('locked', { data: 'v2', expiresAt: Date.now() + HOUR })).ok).toBe(
        true,
      );
      await store.clearExpired();
      expect(await readdir(paths.shardDir)).toEqual(['locked']);
    } finally {
      await store.close();
    }
  });

  it('a sweep mark held by a live sweeper makes writers of its shard wait, then fail; readers and other writes go on', async () => {
    const { store, paths, version } = await storeWithRecord({ operationTimeoutMs: 300 });
    try {
      await writeFile(sweepMarker(paths.shardDir).temp, `{"o":"${process.pid}@${HOST}"}`);
      await expect(
        store.update(
          'locked',
          { data: 'v2', expiresAt: Date.now() + HOUR },
          { ifVersion: version },
        ),
      ).rejects.toMatchObject({ code: 'SESS_STORE_UNAVAILABLE' });
      expect((await store.get('locked'))?.data).toBe('v1');
      expect(await store.touch('locked', Date.now() + 2 * HOUR)).toBe(true);
      // Removing publishes nothing, so it need not wait for the sweep.
      await store.destroy('locked');
      expect(await store.get('locked')).toBeNull();
    } finally {
      await store.close();
    }
  });

  it('a sweep mark left by a sweeper that died is taken over at once', async () => {
    const { store, paths, version } = await storeWithRecord({ lockStaleMs: 600_000 });
    try {
      await writeFile(sweepMarker(paths.shardDir).temp, `{"o":"${deadPid()}@${HOST}"}`);
      const updated = await store.update(
        'locked',
        { data: 'v2', expiresAt: Date.now() + HOUR },
        { ifVersion: version },
      );
      expect(updated.ok).toBe(true);
      expect(await readdir(paths.shardDir)).toEqual(['locked']);
    } finally {
      await store.close();
    }
  });

  it('held by a live writer keeps the sweep off its expired record', async () => {
    let now = Date.now();
    const directory = join(root, `held${sequence++}`);
    const store = new FileStore({ directory, now: () => now });
    const paths = new Layout(directory).record('held');
    try {
      await store.create('held', { data: 'x', expiresAt: now + 1000 });
      await store.create('free', { data: 'x', expiresAt: now + 1000 });
      now += 1000;
      // A writer in this live process is about to publish over it.
      await writeFile(paths.temp, `{"o":"${process.pid}@${HOST}","v":"next","d":"x"}`);
      expect(await store.clearExpired()).toBe(1);
      expect(await readdir(paths.shardDir)).toContain('held');
    } finally {
      await store.close();
    }
  });
});
