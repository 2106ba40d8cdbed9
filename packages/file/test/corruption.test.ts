import { mkdir, readdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CorruptRecordEvent, FileStore } from '../src/index.js';
import { Layout } from '../src/layout.js';
import { expiryOf } from '../src/record-file.js';
import { scratchRoot } from './support/directories.js';

const root = scratchRoot('corruption');
const HOUR = 3_600_000;
let sequence = 0;

let store: FileStore;
let layout: Layout;
let events: CorruptRecordEvent[];

beforeEach(() => {
  const directory = join(root, `store${sequence++}`);
  store = new FileStore({ directory });
  layout = new Layout(directory);
  events = [];
  store.on('corrupt', (event) => events.push(event));
});
afterEach(() => store.close());

async function written(id: string, userId?: string): Promise<string> {
  const result = await store.create(id, {
    data: `data of ${id}`,
    expiresAt: Date.now() + HOUR,
    ...(userId === undefined ? {} : { userId }),
  });
  expect(result.ok).toBe(true);
  return layout.record(id).file;
}

/**
 * Damages a record as a machine crash without fsync can: the content is lost
 * or cut, the metadata (its times, so its expiry) kept.
 */
async function damaged(file: string, damage: (file: string) => Promise<void>): Promise<void> {
  const { atime, mtime } = await stat(file);
  await damage(file);
  await utimes(file, atime, mtime);
}

const damages: Array<[string, (file: string) => Promise<void>]> = [
  ['cut short', async (file) => writeFile(file, (await readFile(file)).subarray(0, 20))],
  ['emptied', (file) => writeFile(file, '')],
  ['overwritten with garbage', (file) => writeFile(file, Buffer.from([0xff, 0xfe, 0x00, 0x7b]))],
  ['valid JSON but not a record', (file) => writeFile(file, '{"v":"x","d":42}')],
];

describe('a record file that cannot be read', () => {
  it.each(damages)('(%s) reads as a miss, is moved aside whole and reported', async (_, damage) => {
    const neighbour = 'neighbour';
    await written(neighbour);
    const file = await written('damaged');
    await damaged(file, damage);
    const damagedBytes = await readFile(file);

    expect(await store.get('damaged')).toBeNull();
    expect(events).toHaveLength(1);
    const [event] = events as [CorruptRecordEvent];
    expect(event.id).toBe('damaged');
    expect(event.reason).toMatch(/^the /);
    expect(event.movedTo).toMatch(/\/corrupt\/damaged\.\d+\.[0-9a-f]{8}\.corrupt$/);
    expect(await readFile(event.movedTo as string)).toEqual(damagedBytes);
    expect((await store.get(neighbour))?.data).toBe('data of neighbour');

    // Gone from its place: the id is free again, and nothing is reported twice.
    expect(await store.get('damaged')).toBeNull();
    expect(
      await store.create('damaged', { data: 'again', expiresAt: Date.now() + HOUR }),
    ).toMatchObject({ ok: true });
    expect((await store.get('damaged'))?.data).toBe('again');
    expect(events).toHaveLength(1);
  });

  it('is moved aside by touch, which returns false', async () => {
    await damaged(await written('t'), (f) => writeFile(f, 'garbage'));
    expect(await store.touch('t', Date.now() + 2 * HOUR)).toBe(false);
    expect(events.map((e) => e.id)).toEqual(['t']);
  });

  it('is moved aside by update, which reports missing', async () => {
    await damaged(await written('u'), (f) => writeFile(f, 'garbage'));
    expect(await store.update('u', { data: 'x', expiresAt: Date.now() + HOUR })).toEqual({
      ok: false,
      reason: 'missing',
    });
    expect(events.map((e) => e.id)).toEqual(['u']);
    expect(await store.get('u')).toBeNull();
  });

  it('is moved aside by create, which then writes the new record', async () => {
    await damaged(await written('c'), (f) => writeFile(f, 'garbage'));
    const created = await store.create('c', { data: 'fresh', expiresAt: Date.now() + HOUR });
    expect(created.ok).toBe(true);
    expect(events.map((e) => e.id)).toEqual(['c']);
    expect((await store.get('c'))?.data).toBe('fresh');
  });

  it('is removed by destroyByUser of its owner without being counted', async () => {
    await written('mine', 'alice');
    await damaged(await written('broken', 'alice'), (f) => writeFile(f, 'garbage'));
    expect(await store.destroyByUser('alice')).toBe(1);
    expect(events.map((e) => e.id)).toEqual(['broken']);
    expect(await readdir(layout.userDir('alice')).catch(() => [])).toEqual([]);
  });

  it('can be a directory squatting on the record name', async () => {
    const { file } = layout.record('squat');
    await mkdir(file, { recursive: true });
    expect(await store.get('squat')).toBeNull();
    expect(events.map((e) => [e.id, e.reason])).toEqual([
      ['squat', 'the path is not a regular file'],
    ]);
    expect(await store.create('squat', { data: 'x', expiresAt: Date.now() + HOUR })).toMatchObject({
      ok: true,
    });
  });

  it('when rewritten by another program has that moment as expiry: it reads as missing and the sweep moves it aside', async () => {
    const file = await written('rewritten');
    // Any write sets mtime to now, which is this record's expiry from then on.
    await writeFile(file, 'edited by hand');
    // Within the millisecond of that write the record is still (just) live.
    const expiry = expiryOf(await stat(file));
    while (Date.now() <= expiry) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(await store.get('rewritten')).toBeNull();
    expect(events).toEqual([]);
    expect(await store.clearExpired()).toBe(0);
    expect(events.map((e) => [e.id, e.reason])).toEqual([
      ['rewritten', 'the file is not valid JSON'],
    ]);
  });

  it('can be a symbolic link, which is never followed', async () => {
    const elsewhere = join(root, `elsewhere${sequence}`);
    await writeFile(elsewhere, await readFile(await written('decoy')));
    const { file, shardDir } = layout.record('linked');
    await mkdir(shardDir, { recursive: true });
    await symlink(elsewhere, file);
    expect(await store.get('linked')).toBeNull();
    expect(events.map((e) => [e.id, e.reason])).toEqual([
      ['linked', 'the path is a symbolic link'],
    ]);
    expect(await readFile(elsewhere, 'utf8')).toContain('data of decoy');
  });
});
