import assert from 'node:assert/strict';
import { expectOk } from '../assert.js';
import { defineTests } from './define.js';

export const namespaceTests = defineTests({
  'namespaces: two stores do not see each other': {
    async run(t) {
      const other = await t.openStore();
      const id = t.newId();
      expectOk(await t.store.create(id, t.record('mine')), 'create here');
      assert.equal(await other.get(id), null, 'the other namespace sees the record');
      expectOk(await other.create(id, t.record('theirs')), 'create of the same id there');
      await other.destroy(id);
      assert.equal((await t.store.get(id))?.data, 'mine', 'destroy there removed the record here');
      assert.equal(await other.touch(id, t.expiresIn(60_000)), false);
      assert.equal((await other.update(id, t.record('x'))).ok, false);
    },
  },
  'namespaces: clear() of one leaves the other': {
    requires: ['clear'],
    async run(t) {
      const other = await t.openStore();
      const [mine, theirs] = [t.newId(), t.newId()];
      expectOk(await t.store.create(mine, t.record('mine')), 'create here');
      expectOk(await other.create(theirs, t.record('theirs')), 'create there');
      await other.clear?.();
      assert.equal(await other.get(theirs), null, 'clear() left a record in its own namespace');
      assert.equal((await t.store.get(mine))?.data, 'mine', 'clear() reached another namespace');
    },
  },
  'namespaces: count and list see only their own records': {
    requires: ['count', 'list'],
    async run(t) {
      const other = await t.openStore();
      const id = t.newId();
      expectOk(await other.create(t.newId(), t.record()), 'create there');
      expectOk(await t.store.create(id, t.record()), 'create here');
      assert.equal(await t.store.count?.(), 1);
      assert.deepEqual((await t.store.list?.())?.ids, [id]);
    },
  },
  'namespaces: destroyByUser stays in its namespace': {
    requires: ['users'],
    async run(t) {
      const other = await t.openStore();
      const [mine, theirs] = [t.newId(), t.newId()];
      expectOk(await t.store.create(mine, t.record('mine', 'shared-user')), 'create here');
      expectOk(await other.create(theirs, t.record('theirs', 'shared-user')), 'create there');
      assert.equal(await other.destroyByUser?.('shared-user'), 1);
      assert.equal(
        (await t.store.get(mine))?.data,
        'mine',
        'destroyByUser reached another namespace',
      );
    },
  },
  'namespaces: clearExpired stays in its namespace': {
    requires: ['sweep'],
    async run(t) {
      const other = await t.openStore();
      await t.createExpired(t.newId());
      await t.createExpired(t.newId(), {}, other);
      assert.equal(await other.clearExpired?.(), 1, 'clearExpired there');
      assert.equal(await t.store.clearExpired?.(), 1, 'clearExpired here found its record gone');
    },
  },
});
