import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../src/index.js';
import { scratchRoot } from './support/directories.js';
import { type Done, isWholePayload, startTogether, type Write } from './support/workers.js';

const root = scratchRoot('processes');

function ids(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}_${i % 3 ? 'Mixed' : 'lower'}`);
}

describe('two processes sharing one directory', () => {
  it('race to create 300 ids: each id is created by exactly one of them and holds its data', async () => {
    const directory = join(root, 'create-race');
    const shared = ids('c', 300);
    const workers = await startTogether([
      { mode: 'create-race', directory, name: 'A', ids: shared },
      { mode: 'create-race', directory, name: 'B', ids: [...shared].reverse() },
    ]);
    const [a, b] = (await Promise.all(workers.map((w) => w.done))) as [Done, Done];
    const store = new FileStore({ directory });
    try {
      for (const id of shared) {
        const winners = [a, b].flatMap((w) => w.creates.filter((c) => c.id === id && c.ok));
        assert.equal(winners.length, 1, `${id}: ${winners.length} creates succeeded`);
        const stored = await store.get(id);
        assert.equal(
          stored?.data,
          winners[0]?.data,
          `${id}: the stored record is not the winner's`,
        );
        assert.equal(stored?.version, winners[0]?.version);
      }
      // Both processes won some: the creates really did overlap.
      expect(a.creates.some((c) => c.ok)).toBe(true);
      expect(b.creates.some((c) => c.ok)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('hammer 4 ids with compare-and-set updates: no lost acknowledged update, no torn read', async () => {
    const directory = join(root, 'cas');
    const shared = ids('h', 4);
    const workers = await startTogether([
      { mode: 'cas', directory, name: 'A', ids: shared, rounds: 600, seed: 1 },
      { mode: 'cas', directory, name: 'B', ids: shared, rounds: 600, seed: 2 },
    ]);
    const results = await Promise.all(workers.map((w) => w.done));
    for (const worker of workers) expect(worker.errors).toEqual([]);
    for (const result of results) expect(result.corrupt).toBe(0);

    const store = new FileStore({ directory });
    try {
      for (const id of shared) {
        const created = results.flatMap((r) => r.creates.filter((c) => c.id === id && c.ok));
        assert.equal(created.length, 1, `${id}: ${created.length} creates succeeded`);
        const root = created[0] as { version: string; data: string };
        const writes = results.flatMap((r) => r.writes.filter((w) => w.id === id));

        // Every acknowledged update replaced a version that existed, and no
        // version was replaced twice: the writes form one chain.
        const known = new Map<string, string>([[root.version, root.data]]);
        for (const w of writes) known.set(w.version, w.data);
        const successor = new Map<string, Write>();
        for (const w of writes) {
          assert.ok(known.has(w.base as string), `${id}: an update replaced an unknown version`);
          assert.ok(!successor.has(w.base as string), `${id}: two updates replaced one version`);
          successor.set(w.base as string, w);
        }
        let tip = root.version;
        let length = 0;
        for (let w = successor.get(tip); w; w = successor.get(tip)) {
          tip = w.version;
          length++;
        }
        assert.equal(length, writes.length, `${id}: some acknowledged updates are off the chain`);

        // The record holds the last write of the chain: none was lost.
        const final = await store.get(id);
        assert.equal(final?.version, tip, `${id}: the stored version is not the last acknowledged`);
        assert.equal(final?.data, known.get(tip));

        // Every read saw exactly some acknowledged write, whole.
        for (const read of results.flatMap((r) => r.reads.filter((x) => x.id === id))) {
          assert.equal(read.data, known.get(read.version), `${id}: a read saw unwritten data`);
          assert.ok(isWholePayload(read.data), `${id}: a read saw a torn record`);
        }
      }
      // Both processes got updates through and each lost some races: they really contended.
      for (const result of results) {
        expect(result.writes.length).toBeGreaterThan(0);
        expect(result.conflicts).toBeGreaterThan(0);
      }
    } finally {
      await store.close();
    }
  });
});
