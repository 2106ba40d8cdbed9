import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fileNameOf, idOfFileName, shardOf } from '../src/layout.js';

const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function randomId(): string {
  const length = 1 + ((randomBytes(1)[0] as number) % 128);
  return Array.from(randomBytes(length), (b) => ID_CHARS[b % ID_CHARS.length]).join('');
}

describe('record file names', () => {
  it('map every valid id to one name and back', () => {
    for (let i = 0; i < 5_000; i++) {
      const id = randomId();
      const name = fileNameOf(id);
      expect(idOfFileName(name)).toBe(id);
    }
  });

  it('keep ids that differ only in case apart, even on a case-insensitive file system', () => {
    const names = ['SessionId', 'sessionid', 'SESSIONID', 'sessionId'].map(fileNameOf);
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(4);
  });

  it('hold no dot, so they never collide with temp, marker or probe files', () => {
    for (const id of ['a', 'A', 'a'.repeat(128), 'Z'.repeat(128), '-_-']) {
      expect(fileNameOf(id)).not.toContain('.');
    }
  });

  it('stay far below the 255-byte file name limit with any suffix', () => {
    expect(`${fileNameOf('Z'.repeat(128))}.break`.length).toBeLessThanOrEqual(170);
  });

  it('are not recognised for files the store did not name', () => {
    for (const foreign of [
      'abc.tmp',
      'abc.break',
      '.probe-1-abc',
      'ABC',
      'abc~',
      'abc~0',
      '1~1',
      'abcd~10',
      'a~g',
      'a'.repeat(129),
      '',
    ]) {
      expect(idOfFileName(foreign), foreign).toBeUndefined();
    }
  });
});

describe('shards', () => {
  it('spread sequential ids over the 256 directories', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 25_600; i++) {
      const shard = shardOf(`session-${String(i).padStart(8, '0')}`);
      counts.set(shard, (counts.get(shard) ?? 0) + 1);
    }
    expect(counts.size).toBe(256);
    expect(Math.max(...counts.values())).toBeLessThan(200);
  });
});
