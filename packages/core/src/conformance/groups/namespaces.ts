import assert from 'node:assert/strict';
import type { SessionStore } from '../../contract.js';
import { expectOk } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { defineTests } from './define.js';

/** Suffixes that make another valid namespace of which the first is a prefix. */
const EXTENSIONS = ['b', '_b'] as const;

interface Side {
  readonly store: SessionStore;
  readonly label: string;
  readonly mine: string;
  readonly anonymous: string;
}

/**
 * Two stores whose namespaces are prefixes of each other (`ns` and `ns` +
 * `extension`), each holding one session of `shared-user` and one anonymous
 * session.
 */
async function overlapping(t: ConformanceContext, extension: string): Promise<[Side, Side]> {
  const longer = await t.openStore(`${t.namespace}${extension}`);
  const side = async (store: SessionStore, label: string): Promise<Side> => {
    const [mine, anonymous] = [t.newId(), t.newId()];
    expectOk(await store.create(mine, t.record(label, 'shared-user')), `create in ${label}`);
    expectOk(await store.create(anonymous, t.record(label)), `create in ${label}`);
    return { store, label, mine, anonymous };
  };
  return [
    await side(t.store, `namespace "${t.namespace}"`),
    await side(longer, `namespace "${t.namespace}${extension}"`),
  ];
}

async function stillThere(side: Side, what: string): Promise<void> {
  for (const id of [side.mine, side.anonymous]) {
    assert.equal(
      (await side.store.get(id))?.data,
      side.label,
      `${what} removed a record of the store in ${side.label}`,
    );
  }
}

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
      assert.equal(
        await other.touch(id, t.expiresIn(60_000)),
        false,
        'touch there found the record here',
      );
      assert.equal(
        (await other.update(id, t.record('x'))).ok,
        false,
        'update there found the record here',
      );
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
      assert.equal(await t.store.count?.(), 1, 'count() counted another namespace');
      assert.deepEqual((await t.store.list?.())?.ids, [id], 'list() listed another namespace');
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
  'namespaces: when one namespace is a prefix of another, count, list, destroyByUser and clear stay in their own':
    {
      async run(t) {
        const { count, list, users, clear } = t.capabilities;
        const checks: Array<() => Promise<boolean>> = [];
        for (const extension of EXTENSIONS) {
          const pair = await overlapping(t, extension);
          for (const namespace of [t.namespace, `${t.namespace}${extension}`]) {
            const intact = await t.options.foreign?.({ namespace });
            if (intact) checks.push(intact);
          }
          for (const [self, other] of [pair, [...pair].reverse() as [Side, Side]]) {
            const where = `in ${self.label}, beside ${other.label}`;
            if (count) assert.equal(await self.store.count?.(), 2, `count() ${where}`);
            if (list) {
              const { ids } = (await self.store.list?.({ limit: 100 })) ?? { ids: [] };
              assert.deepEqual(
                [...ids].sort(),
                [self.mine, self.anonymous].sort(),
                `list() ${where}`,
              );
            }
            if (users) {
              assert.equal(
                await self.store.destroyByUser?.('shared-user'),
                1,
                `destroyByUser() ${where}`,
              );
              await stillThere(other, `destroyByUser() ${where}`);
              expectOk(
                await self.store.create(self.mine, t.record(self.label, 'shared-user')),
                'create again after destroyByUser',
              );
            }
          }
          if (clear) {
            const [shorter, longer] = pair;
            await shorter.store.clear?.();
            assert.equal(
              await shorter.store.get(shorter.mine),
              null,
              `clear() in ${shorter.label}`,
            );
            await stillThere(longer, `clear() in ${shorter.label}`);
            await longer.store.clear?.();
          } else {
            // The next extension starts from empty namespaces, with or without clear().
            for (const side of pair) {
              await side.store.destroy(side.mine);
              await side.store.destroy(side.anonymous);
            }
          }
        }
        for (const intact of checks) {
          assert.ok(
            await intact(),
            'data kept beside the store that is not a session (the foreign hook) was changed or removed',
          );
        }
      },
    },
});
