import assert from 'node:assert/strict';
import { expectOk } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { defineTests } from './define.js';

/** Runs `call`; a rejection passes only as CorruptRecordError. */
async function resolvedOrCorrupt<T>(call: () => Promise<T>, what: string): Promise<T | 'corrupt'> {
  try {
    return await call();
  } catch (error) {
    assert.equal(
      (error as { code?: unknown }).code,
      'SESS_CORRUPT_RECORD',
      `${what} failed with ${String(error)}`,
    );
    return 'corrupt';
  }
}

async function plantCorrupt(t: ConformanceContext): Promise<string> {
  const corrupt = t.options.corrupt ?? assert.fail('no corrupt hook');
  const id = t.newId();
  expectOk(await t.store.create(id, t.record('soon corrupt', 'user-c')), 'create');
  await corrupt({ store: t.store, namespace: t.namespace, id });
  return id;
}

export const corruptTests = defineTests({
  'corrupt: a corrupt record reads as a miss or CorruptRecordError, never as data': {
    requires: ['corrupt'],
    async run(t) {
      const neighbour = t.newId();
      expectOk(await t.store.create(neighbour, t.record('neighbour')), 'create');
      const id = await plantCorrupt(t);
      const read = await resolvedOrCorrupt(() => t.store.get(id), 'get');
      assert.ok(read === null || read === 'corrupt', 'get returned a corrupt record as data');
      assert.equal(
        (await t.store.get(neighbour))?.data,
        'neighbour',
        'a corrupt record broke its neighbour',
      );
    },
  },
  'corrupt: update and touch of a corrupt record never expose it': {
    requires: ['corrupt'],
    async run(t) {
      const id = await plantCorrupt(t);
      // A store that cannot tell a corrupt record from a live one without
      // reading it may extend it, or replace it with the new data.
      const touched = await resolvedOrCorrupt(
        () => t.store.touch(id, t.expiresIn(60_000)),
        'touch',
      );
      assert.ok(
        touched === 'corrupt' || typeof touched === 'boolean',
        'touch returned a non-boolean',
      );
      const read = await resolvedOrCorrupt(() => t.store.get(id), 'get after touch');
      assert.ok(read === null || read === 'corrupt', 'touch made a corrupt record readable');
      const updated = await resolvedOrCorrupt(
        () => t.store.update(id, t.record('repaired')),
        'update',
      );
      assert.ok(
        updated === 'corrupt' || updated.ok || updated.reason === 'missing',
        `update of a corrupt record gave ${JSON.stringify(updated)}`,
      );
      const after = await resolvedOrCorrupt(() => t.store.get(id), 'get after update');
      if (updated !== 'corrupt' && updated.ok) {
        assert.ok(
          after !== 'corrupt' && after?.data === 'repaired',
          'an update that reported ok left no readable record',
        );
        assert.equal(
          after.version,
          updated.version,
          'the repaired record has another version than the update returned',
        );
      } else {
        assert.ok(
          after === null || after === 'corrupt',
          'a refused update made the record readable',
        );
      }
    },
  },
  'corrupt: create over a corrupt record replaces it or gives exists, and never exposes it': {
    requires: ['corrupt'],
    async run(t) {
      const id = await plantCorrupt(t);
      // A corrupt record holds no session anyone can resume, so replacing it
      // overwrites nothing live; a store that cannot tell may refuse instead.
      const created = await resolvedOrCorrupt(
        () => t.store.create(id, t.record('new')),
        'create over a corrupt record',
      );
      assert.ok(
        created === 'corrupt' || created.ok || created.reason === 'exists',
        `create over a corrupt record gave ${JSON.stringify(created)}`,
      );
      const after = await resolvedOrCorrupt(() => t.store.get(id), 'get after create');
      if (created !== 'corrupt' && created.ok) {
        assert.ok(
          after !== 'corrupt' && after?.data === 'new' && after.version === created.version,
          'a create that reported ok left no readable record of its own',
        );
      } else {
        assert.ok(
          after === null || after === 'corrupt',
          'a refused create made the corrupt record readable',
        );
      }
    },
  },
  'corrupt: destroy removes a corrupt record and the id can be created again': {
    requires: ['corrupt'],
    async run(t) {
      const id = await plantCorrupt(t);
      await t.store.destroy(id);
      assert.equal(await t.store.get(id), null, 'get after destroy of a corrupt record');
      expectOk(await t.store.create(id, t.record('fresh')), 'create after destroy');
      assert.equal((await t.store.get(id))?.data, 'fresh');
    },
  },
});
