import { execFileSync } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../src/index.js';
import { Layout } from '../src/layout.js';
import { scratchRoot } from './support/directories.js';
import { isWholePayload, payload } from './support/payload.js';

const root = scratchRoot('atomic');
const HOUR = 3_600_000;

/** Marks a file immutable (root on ext4 and most Linux file systems); false where it cannot. */
function setImmutable(file: string, on: boolean): boolean {
  try {
    execFileSync('chattr', [on ? '+i' : '-i', file], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('writes', () => {
  it('replace a record whole: a reader racing 1 MB rewrites sees only whole records', async () => {
    const store = new FileStore({
      directory: join(root, 'whole'),
      maxPayloadBytes: 2 * 1024 * 1024,
    });
    try {
      const first = await store.create('big', {
        data: payload('w', 0, 1 << 20),
        expiresAt: Date.now() + HOUR,
      });
      expect(first.ok).toBe(true);
      let writing = true;
      const writer = (async () => {
        for (let round = 1; round <= 30; round++) {
          const size = (1 << 20) - round * 1000;
          await store.update('big', {
            data: payload('w', round, size),
            expiresAt: Date.now() + HOUR,
          });
        }
        writing = false;
      })();
      let reads = 0;
      while (writing) {
        const read = await store.get('big');
        expect(read && isWholePayload(read.data)).toBe(true);
        reads++;
      }
      await writer;
      expect(reads).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('that fail to publish leave the record as it was and no temp file behind', async (context) => {
    const directory = join(root, 'failing');
    const store = new FileStore({ directory });
    const paths = new Layout(directory).record('pinned');
    try {
      await store.create('pinned', { data: 'before', expiresAt: Date.now() + HOUR });
      if (!setImmutable(paths.file, true)) {
        context.skip('needs chattr +i (root on a file system with attributes) to make rename fail');
        return;
      }
      try {
        await expect(
          store.update('pinned', { data: 'after', expiresAt: Date.now() + HOUR }),
        ).rejects.toMatchObject({
          code: 'SESS_STORE_UNAVAILABLE',
          message: expect.stringMatching(/EPERM/),
        });
      } finally {
        setImmutable(paths.file, false);
      }
      expect((await store.get('pinned'))?.data).toBe('before');
      expect(await readdir(paths.shardDir)).toEqual(['pinned']);
    } finally {
      await store.close();
    }
  });

  it('touch changes the expiry and nothing else, without rewriting the file', async () => {
    const directory = join(root, 'touch');
    const store = new FileStore({ directory });
    const { file } = new Layout(directory).record('t');
    try {
      const created = await store.create('t', {
        data: 'same',
        expiresAt: Date.now() + HOUR,
        userId: 'u',
      });
      const before = await stat(file);
      const expiresAt = Date.now() + 5 * HOUR + 123;
      expect(await store.touch('t', expiresAt)).toBe(true);
      const after = await stat(file);
      expect(after.ino).toBe(before.ino);
      expect(Math.round(after.mtimeMs)).toBe(expiresAt);
      expect(await store.get('t')).toEqual({
        data: 'same',
        userId: 'u',
        expiresAt,
        version: created.ok ? created.version : '',
      });
    } finally {
      await store.close();
    }
  });

  it('with fsync reach the same result', async () => {
    const store = new FileStore({ directory: join(root, 'fsync'), fsync: true });
    try {
      const created = await store.create('f', { data: 'a', expiresAt: Date.now() + HOUR });
      expect(created.ok).toBe(true);
      const updated = await store.update(
        'f',
        { data: 'b', expiresAt: Date.now() + HOUR },
        created.ok ? { ifVersion: created.version } : {},
      );
      expect(updated.ok).toBe(true);
      expect(await store.touch('f', Date.now() + 2 * HOUR)).toBe(true);
      expect((await store.get('f'))?.data).toBe('b');
      await store.destroy('f');
      expect(await store.get('f')).toBeNull();
    } finally {
      await store.close();
    }
  });
});
