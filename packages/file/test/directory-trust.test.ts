import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { InvalidOptionError } from '@sess/core';
import { describe, expect, it } from 'vitest';
import { type CorruptRecordEvent, FileStore, type FileStoreOptions } from '../src/index.js';
import { Layout } from '../src/layout.js';
import { encodeRecord } from '../src/record-file.js';
import { scratchRoot } from './support/directories.js';

const root = scratchRoot('trust');
const HOUR = 3_600_000;
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
let sequence = 0;

/** Writes a record file as another program would, live for an hour (its mtime is its expiry). */
function plant(file: string, content: Buffer): void {
  writeFileSync(file, content);
  const expiry = new Date(Date.now() + HOUR);
  utimesSync(file, expiry, expiry);
}

function fresh(): string {
  return join(root, `case${sequence++}`);
}

function refused(options: FileStoreOptions, why: RegExp): void {
  let error: unknown;
  try {
    new FileStore(options);
  } catch (caught) {
    error = caught;
  }
  expect(error, 'the store accepted the directory').toBeInstanceOf(InvalidOptionError);
  expect((error as Error).message).toMatch(why);
}

async function accepted(options: FileStoreOptions): Promise<void> {
  const store = new FileStore(options);
  expect(await store.create('probe', { data: 'x', expiresAt: Date.now() + HOUR })).toMatchObject({
    ok: true,
  });
  await store.close();
}

describe('a directory the store cannot trust', () => {
  it.runIf(isRoot)(
    'is refused when another user created it first (the /tmp trick), unless allowSharedDirectory says so',
    async () => {
      const directory = fresh();
      mkdirSync(directory, { mode: 0o777 });
      chmodSync(directory, 0o777);
      chownSync(directory, NOBODY, NOBODY);
      refused({ directory }, /owned by another user/);
      await accepted({ directory, allowSharedDirectory: true });
    },
  );

  it('is refused when its group or everyone can write it, unless directoryMode shares it with the group', async () => {
    for (const mode of [0o777, 0o1777, 0o770]) {
      const directory = fresh();
      mkdirSync(directory);
      chmodSync(directory, mode);
      refused({ directory }, /can write to it/);
    }
    const shared = fresh();
    mkdirSync(shared);
    chmodSync(shared, 0o770);
    await accepted({ directory: shared, directoryMode: 0o770 });
  });

  it('is refused under an ancestor others can write without the sticky bit, and accepted with it', async () => {
    const open = fresh();
    mkdirSync(open);
    chmodSync(open, 0o777);
    refused(
      { directory: join(open, 'sessions') },
      /others can write to it and it has no sticky bit/,
    );
    const sticky = fresh();
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    await accepted({ directory: join(sticky, 'sessions') });
  });

  it.runIf(isRoot)('is refused when one of its subdirectories is a link or another user’s', () => {
    const linked = fresh();
    mkdirSync(linked, { mode: 0o700 });
    mkdirSync(join(root, `elsewhere${sequence}`), { mode: 0o700 });
    symlinkSync(join(root, `elsewhere${sequence}`), join(linked, 's'));
    refused({ directory: linked }, /is a symbolic link/);

    const foreign = fresh();
    mkdirSync(join(foreign, 's', 'ab'), { recursive: true, mode: 0o700 });
    chownSync(join(foreign, 's', 'ab'), NOBODY, NOBODY);
    refused({ directory: foreign }, /"[^"]*ab": it is owned by another user/);
  });

  it('is refused at once on a pseudo file system, instead of looping in mkdir', () => {
    refused({ directory: '/proc/sess-store' }, /proc, a pseudo file system/);
    refused({ directory: '/sys/sess-store/nested' }, /sysfs, a pseudo file system/);
  });
});

describe('files planted in a trusted directory', () => {
  it.runIf(isRoot)(
    'a record that another user owns is never read as a session (a forged login)',
    async () => {
      const directory = fresh();
      const store = new FileStore({ directory });
      const events: CorruptRecordEvent[] = [];
      store.on('corrupt', (event) => events.push(event));
      try {
        const { file, shardDir } = new Layout(directory).record('forged');
        mkdirSync(shardDir, { recursive: true, mode: 0o700 });
        plant(file, encodeRecord({ version: 'v', data: '{"admin":true}', userId: 'root' }));
        chownSync(file, NOBODY, NOBODY);
        expect(await store.get('forged')).toBeNull();
        await new Promise((resolve) => setImmediate(resolve));
        expect(events.map((e) => e.reason)).toEqual(['the file belongs to another user']);
      } finally {
        await store.close();
      }
    },
  );

  it('a link planted as a user index entry is not followed: the file it names is left as it was', async () => {
    const directory = fresh();
    const victim = join(root, `victim${sequence}`);
    writeFileSync(victim, 'precious');
    const store = new FileStore({ directory });
    try {
      const layout = new Layout(directory);
      const entry = `${layout.userDir('mallory')}/${layout.record('linked').name}`;
      mkdirSync(layout.userDir('mallory'), { recursive: true, mode: 0o700 });
      symlinkSync(victim, entry);
      const created = store.create('linked', {
        data: 'x',
        expiresAt: Date.now() + HOUR,
        userId: 'mallory',
      });
      await expect(created).rejects.toMatchObject({ code: 'SESS_STORE_UNAVAILABLE' });
      expect(readFileSync(victim, 'utf8')).toBe('precious');
    } finally {
      await store.close();
    }
  });

  it('a FIFO where a record should be reads as missing at once, and is moved aside', async () => {
    const directory = fresh();
    const store = new FileStore({ directory, operationTimeoutMs: 60_000 });
    const events: CorruptRecordEvent[] = [];
    store.on('corrupt', (event) => events.push(event));
    try {
      const { file, shardDir } = new Layout(directory).record('piped');
      mkdirSync(shardDir, { recursive: true, mode: 0o700 });
      execFileSync('mkfifo', [file]);
      // Blocking on the FIFO would wait for the 60 s timeout, past the test's own.
      expect(await store.get('piped')).toBeNull();
      expect(await store.touch('piped', Date.now() + HOUR)).toBe(false);
      await new Promise((resolve) => setImmediate(resolve));
      expect(events[0]?.reason).toBe('the path is not a regular file');
    } finally {
      await store.close();
    }
  });

  it('a record larger than any the store writes, or not UTF-8, is corrupt and never read as data', async () => {
    const directory = fresh();
    const store = new FileStore({ directory, maxPayloadBytes: 1024 });
    const events: CorruptRecordEvent[] = [];
    store.on('corrupt', (event) => events.push(event));
    try {
      const layout = new Layout(directory);
      const huge = layout.record('huge');
      mkdirSync(huge.shardDir, { recursive: true, mode: 0o700 });
      plant(
        huge.file,
        encodeRecord({ version: 'v', data: 'x'.repeat(64 * 1024), userId: undefined }),
      );
      const latin = layout.record('latin');
      mkdirSync(latin.shardDir, { recursive: true, mode: 0o700 });
      const record = encodeRecord({ version: 'v', data: 'caf\u00e9', userId: undefined });
      plant(latin.file, Buffer.from(record.toString('utf8'), 'latin1'));
      expect(await store.get('huge')).toBeNull();
      expect(await store.get('latin')).toBeNull();
      await new Promise((resolve) => setImmediate(resolve));
      expect(events.map((e) => e.reason).sort()).toEqual([
        'the file is larger than any record the store writes',
        'the file is not valid UTF-8',
      ]);
    } finally {
      await store.close();
    }
  });
});
