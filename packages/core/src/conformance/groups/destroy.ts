import assert from 'node:assert/strict';
import { expectOk, expectRefused } from '../assert.js';
import { defineTests } from './define.js';

export const destroyTests = defineTests({
  'destroy: is idempotent': {
    async run(t) {
      const id = t.newId();
      await t.store.destroy(id);
      expectOk(await t.store.create(id, t.record()), 'create');
      await t.store.destroy(id);
      await t.store.destroy(id);
      assert.equal(await t.store.get(id), null, 'get after destroying twice');
    },
  },
  'destroy: is final: get is null, update is missing, touch is false': {
    async run(t) {
      const id = t.newId();
      const version = expectOk(await t.store.create(id, t.record()), 'create');
      await t.store.destroy(id);
      assert.equal(await t.store.get(id), null, 'get after destroy');
      expectRefused(
        await t.store.update(id, t.record(), { ifVersion: version }),
        'missing',
        'update',
      );
      assert.equal(
        await t.store.touch(id, t.expiresIn(60_000)),
        false,
        'touch of a destroyed record must give false',
      );
      assert.equal(await t.store.get(id), null, 'touch revived a destroyed record');
    },
  },
  'destroy: leaves other records alone': {
    async run(t) {
      const [a, b] = [t.newId(), t.newId()];
      expectOk(await t.store.create(a, t.record('a')), 'create a');
      expectOk(await t.store.create(b, t.record('b')), 'create b');
      await t.store.destroy(a);
      assert.equal((await t.store.get(b))?.data, 'b');
    },
  },
});
