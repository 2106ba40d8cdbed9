import assert from 'node:assert/strict';
import { expectOk, expectRecord } from '../assert.js';
import { defineTests } from './define.js';

export const touchTests = defineTests({
  'touch: changes only the expiry': {
    async run(t) {
      const id = t.newId();
      const record = t.record('unchanged', 'user-a');
      const version = expectOk(await t.store.create(id, record), 'create');
      const expiresAt = t.expiresIn(7_200_000);
      assert.equal(await t.store.touch(id, expiresAt), true, 'touch of a live record');
      expectRecord(
        await t.store.get(id),
        { ...record, expiresAt, version },
        t.capabilities.ttlResolutionMs,
        'get after touch',
      );
    },
  },
  'touch: an update carrying the version read before a touch still succeeds': {
    async run(t) {
      const id = t.newId();
      const version = expectOk(await t.store.create(id, t.record('a')), 'create');
      assert.equal(await t.store.touch(id, t.expiresIn(7_200_000)), true, 'touch of a live record');
      expectOk(
        await t.store.update(id, t.record('b'), { ifVersion: version }),
        'update after touch',
      );
    },
  },
  'touch: a missing id gives false and is not revived': {
    async run(t) {
      const never = t.newId();
      assert.equal(
        await t.store.touch(never, t.expiresIn(60_000)),
        false,
        'touch of an id never written',
      );
      assert.equal(await t.store.get(never), null, 'touch created a record');
      const destroyed = t.newId();
      expectOk(await t.store.create(destroyed, t.record()), 'create');
      await t.store.destroy(destroyed);
      assert.equal(
        await t.store.touch(destroyed, t.expiresIn(60_000)),
        false,
        'touch of a destroyed record',
      );
      assert.equal(await t.store.get(destroyed), null, 'touch revived a destroyed record');
    },
  },
  'touch: an expired record gives false and stays gone': {
    async run(t) {
      const id = t.newId();
      await t.createExpired(id);
      assert.equal(
        await t.store.touch(id, t.expiresIn(60_000)),
        false,
        'touch of an expired record',
      );
      assert.equal(await t.store.get(id), null, 'touch revived an expired record');
    },
  },
});
