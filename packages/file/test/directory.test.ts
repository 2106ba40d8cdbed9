import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InvalidOptionError } from '@sess/core';
import { describe, expect, it } from 'vitest';
import { FileStore, type FileStoreOptions } from '../src/index.js';
import { Layout } from '../src/layout.js';
import { scratchRoot } from './support/directories.js';
import { Worker } from './support/workers.js';

const root = scratchRoot('directory');
const HOUR = 3_600_000;
const NOBODY = { uid: 65534, gid: 65534 };

function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}

function refusal(options: FileStoreOptions): InvalidOptionError {
  try {
    new FileStore(options);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).code).toBe('SESS_INVALID_OPTION');
    return error as InvalidOptionError;
  }
  throw new Error('the store accepted the directory');
}

describe('the store directory', () => {
  it('is created with its parents, mode 0700, and records are 0600', async () => {
    const directory = join(root, 'modes', 'nested', 'store');
    const store = new FileStore({ directory });
    try {
      expect(
        await store.create('Mode_check', { data: 'x', expiresAt: Date.now() + HOUR, userId: 'u' }),
      ).toMatchObject({ ok: true });
      const layout = new Layout(directory);
      const paths = layout.record('Mode_check');
      expect(modeOf(directory)).toBe(0o700);
      expect(modeOf(layout.recordsDir)).toBe(0o700);
      expect(modeOf(paths.shardDir)).toBe(0o700);
      expect(modeOf(paths.file)).toBe(0o600);
      expect(modeOf(layout.userDir('u'))).toBe(0o700);
      expect(modeOf(`${layout.userDir('u')}/${paths.name}`)).toBe(0o600);
    } finally {
      await store.close();
    }
  });

  it('takes other modes through fileMode and directoryMode', async () => {
    const directory = join(root, 'other-modes');
    const store = new FileStore({ directory, fileMode: 0o640, directoryMode: 0o750 });
    try {
      await store.create('m', { data: 'x', expiresAt: Date.now() + HOUR });
      const paths = new Layout(directory).record('m');
      expect(modeOf(paths.shardDir)).toBe(0o750 & ~process.umask());
      expect(modeOf(paths.file)).toBe(0o640 & ~process.umask());
    } finally {
      await store.close();
    }
  });

  it('is resolved to an absolute path', async () => {
    const store = new FileStore({ directory: relative(process.cwd(), join(root, 'relative')) });
    expect(store.directory).toBe(join(root, 'relative'));
    await store.close();
  });

  it('is refused at construction when the path is a file', () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a directory');
    expect(refusal({ directory: file }).message).toContain('is not a directory');
  });

  it('is refused at construction when a parent is a file', () => {
    const file = join(root, 'a-parent-file');
    writeFileSync(file, 'not a directory');
    const error = refusal({ directory: join(file, 'store') });
    expect(error.message).toContain('ENOTDIR');
    expect(error.cause).toMatchObject({ code: 'ENOTDIR' });
  });

  it('is refused at construction when this process cannot write it', async () => {
    const directory = join(root, 'read-only');
    mkdirSync(directory, { mode: 0o755 });
    if (process.getuid?.() !== 0) {
      chmodSync(directory, 0o555);
      expect(refusal({ directory }).message).toMatch(/EACCES|EPERM/);
      return;
    }
    // root writes anywhere: open the store as an unprivileged user instead.
    chmodSync(root, 0o755);
    const worker = new Worker({ mode: 'create-race', directory, name: 'nobody', ids: [] }, NOBODY);
    expect(await worker.exited).toBe(1);
    // Owned by root, not by nobody: refused before any write is tried.
    expect(worker.errors.join('\n')).toMatch(
      /InvalidOptionError: FileStore will not use ".*read-only": it is owned by another user/,
    );
  });
});

describe('options', () => {
  it.each<[string, Partial<FileStoreOptions>]>([
    ['an empty directory', { directory: '' }],
    ['a directory with a NUL byte', { directory: 'a\0b' }],
    ['a fileMode the owner cannot read and write', { fileMode: 0o400 }],
    ['a directoryMode the owner cannot enter', { directoryMode: 0o600 }],
    ['a mode beyond 0o777', { fileMode: 0o4600 }],
    ['a zero operationTimeoutMs', { operationTimeoutMs: 0 }],
    ['a fractional maxPayloadBytes', { maxPayloadBytes: 1.5 }],
    ['a lockStaleMs under 100', { lockStaleMs: 10 }],
    ['a non-boolean fsync', { fsync: 'yes' as unknown as boolean }],
    ['a now that is not a function', { now: 5 as unknown as () => number }],
  ])('refuses %s', (_, options) => {
    refusal({ directory: join(root, 'options'), ...options });
  });

  it('declares what it supports', async () => {
    const store = new FileStore({ directory: join(root, 'capabilities'), maxPayloadBytes: 1000 });
    expect(store.capabilities).toEqual({
      expiry: 'sweep',
      list: true,
      count: true,
      users: true,
      clear: true,
      ttlResolutionMs: 0,
      maxPayloadBytes: 1000,
      operationTimeoutMs: 2000,
    });
    await store.close();
  });
});
