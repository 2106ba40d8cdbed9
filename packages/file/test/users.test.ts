import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '../src/index.js';
import { Layout } from '../src/layout.js';
import { scratchRoot } from './support/directories.js';

const root = scratchRoot('users');
const HOUR = 3_600_000;
let sequence = 0;
let store: FileStore;
let layout: Layout;

beforeEach(() => {
  const directory = join(root, `store${sequence++}`);
  store = new FileStore({ directory });
  layout = new Layout(directory);
});
afterEach(() => store.close());

const entries = (userId: string) => readdir(layout.userDir(userId)).catch(() => [] as string[]);
const record = (data: string, userId?: string) => ({
  data,
  expiresAt: Date.now() + HOUR,
  ...(userId === undefined ? {} : { userId }),
});

describe('the user index', () => {
  it('keeps one entry per session, named by the record, in a directory named by a hash', async () => {
    await store.create('One', record('1', 'alice'));
    await store.create('two', record('2', 'alice'));
    expect((await entries('alice')).sort()).toEqual([layout.record('One').name, 'two']);
    expect(layout.userDir('alice')).toMatch(/\/u\/[0-9a-f]{2}\/[0-9a-f]{62}$/);
    expect(layout.userDir('alice')).not.toContain('alice');
  });

  it('moves the entry when an update gives the session another user', async () => {
    await store.create('s', record('1', 'alice'));
    await store.update('s', record('2', 'bob'));
    expect(await entries('alice')).toEqual([]);
    expect(await entries('bob')).toEqual(['s']);
    await store.update('s', record('3'));
    expect(await entries('bob')).toEqual([]);
  });

  it('leaves a destroyed session out of every use, and its entry to the sweep', async () => {
    let now = Date.now();
    const clocked = new FileStore({
      directory: join(root, `clocked${sequence++}`),
      now: () => now,
    });
    const index = new Layout(clocked.directory);
    try {
      await clocked.create('gone', { data: 'x', expiresAt: now + HOUR, userId: 'carol' });
      await clocked.create('swept', { data: 'x', expiresAt: now + 1000, userId: 'carol' });
      await clocked.destroy('gone');
      // destroy reads nothing, so the entry stays until the sweep; no use of the index counts it.
      expect((await readdir(index.userDir('carol'))).sort()).toEqual(['gone', 'swept']);
      expect(await clocked.list({ userId: 'carol' })).toEqual({ ids: ['swept'] });
      expect(await clocked.destroyByUser('carol', { except: 'swept' })).toBe(0);
      now += 1000;
      expect(await clocked.clearExpired()).toBe(1);
      expect(await readdir(index.userDir('carol')).catch(() => [])).toEqual([]);
    } finally {
      await clocked.close();
    }
  });

  it('has entries without a record (a crash between the two writes) pruned by the sweep', async () => {
    await store.create('kept', record('k', 'dave'));
    await writeFile(`${layout.userDir('dave')}/orphan`, '');
    expect((await entries('dave')).sort()).toEqual(['kept', 'orphan']);
    expect(await store.list({ userId: 'dave' })).toEqual({ ids: ['kept'] });
    await store.clearExpired();
    expect(await entries('dave')).toEqual(['kept']);
  });

  it('never lets a stale entry destroy a session that now belongs to someone else', async () => {
    await store.create('s', record('1', 'erin'));
    await store.update('s', record('2', 'frank'));
    // Put back the entry an interrupted update could have left behind.
    await writeFile(`${layout.userDir('erin')}/s`, '');
    expect(await store.destroyByUser('erin')).toBe(0);
    expect((await store.get('s'))?.data).toBe('2');
    expect(await entries('erin')).toEqual([]);
  });

  it('is emptied by clear()', async () => {
    await store.create('a', record('1', 'gina'));
    await store.create('b', record('2', 'hal'));
    await store.clear();
    expect(await store.count()).toBe(0);
    expect(await readdir(layout.usersDir).catch(() => [])).toEqual([]);
  });
});
