import assert from 'node:assert/strict';
import type { SessionStore } from '../../contract.js';
import { expectOk, rejectsWithCode } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { defineTests } from './define.js';

const VALID_IDS = [
  'a',
  'Z',
  '0',
  '-',
  '_',
  '--',
  'a'.repeat(128),
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
  'QmFzZTY0dXJsLXNhZmUtdG9rZW4tb2YtMzItYnl0ZXMtbG9uZw',
];

const INVALID_IDS: readonly unknown[] = [
  '',
  'a'.repeat(129),
  'a/b',
  '/',
  '..',
  '../etc/passwd',
  'a\\b',
  'a b',
  ' a',
  'a\u0000b',
  'a\nb',
  'é',
  'ａ',
  'a.b',
  'a:b',
  'a*',
  'a?',
  '[a]',
  '{a}',
  '%2e%2e',
  undefined,
  null,
  42,
  {},
  ['a'],
];

const INVALID_USER_IDS: readonly unknown[] = [
  '',
  'u'.repeat(257),
  'lone \uD800 surrogate',
  42,
  null,
];

/** Every operation of the store that takes an id, called with `id`. */
function idOperations(t: ConformanceContext, store: SessionStore, id: unknown) {
  const sid = id as string;
  const ops: Array<[string, () => Promise<unknown>]> = [
    ['get', () => store.get(sid)],
    ['create', () => store.create(sid, t.record())],
    ['update', () => store.update(sid, t.record())],
    ['update with ifVersion', () => store.update(sid, t.record(), { ifVersion: '1' })],
    ['touch', () => store.touch(sid, t.expiresIn(60_000))],
    ['destroy', () => store.destroy(sid)],
  ];
  // `except: undefined` means "no exception", so it is not an invalid id there.
  if (t.capabilities.users && store.destroyByUser && id !== undefined) {
    const destroyByUser = store.destroyByUser.bind(store);
    ops.push(['destroyByUser except', () => destroyByUser('victim', { except: sid })]);
  }
  return ops;
}

export const idTests = defineTests({
  'ids: valid edge cases are accepted by every operation': {
    async run(t) {
      for (const id of VALID_IDS) {
        const version = expectOk(
          await t.store.create(id, t.record(`data of ${id}`)),
          `create ${id}`,
        );
        assert.equal((await t.store.get(id))?.data, `data of ${id}`, `get ${id}`);
        expectOk(
          await t.store.update(id, t.record('updated'), { ifVersion: version }),
          `update ${id}`,
        );
        assert.equal(await t.store.touch(id, t.expiresIn(7_200_000)), true, `touch ${id}`);
        await t.store.destroy(id);
        assert.equal(await t.store.get(id), null, `get ${id} after destroy`);
      }
    },
  },
  'ids: ids that differ only in case are different sessions': {
    async run(t) {
      expectOk(await t.store.create('SessionId', t.record('upper')), 'create SessionId');
      expectOk(await t.store.create('sessionid', t.record('lower')), 'create sessionid');
      assert.equal((await t.store.get('SessionId'))?.data, 'upper');
      assert.equal((await t.store.get('sessionid'))?.data, 'lower');
      await t.store.destroy('sessionid');
      assert.equal((await t.store.get('SessionId'))?.data, 'upper');
    },
  },
  'ids: invalid ids are rejected with InvalidSessionIdError and touch nothing': {
    async run(t) {
      const sentinel = t.newId();
      const version = expectOk(
        await t.store.create(sentinel, t.record('sentinel', 'victim')),
        'create',
      );
      for (const id of INVALID_IDS) {
        for (const [name, call] of idOperations(t, t.store, id)) {
          await rejectsWithCode(
            call,
            'SESS_INVALID_ID',
            `${name}(${JSON.stringify(id) ?? String(id)})`,
          );
        }
      }
      const after = await t.store.get(sentinel);
      assert.equal(after?.data, 'sentinel', 'a rejected call changed another record');
      assert.equal(after?.version, version, 'a rejected call changed another record');
      if (t.capabilities.count && t.store.count) {
        assert.equal(await t.store.count(), 1, 'a rejected call wrote a record');
      }
    },
  },
  'ids: invalid user ids are rejected with InvalidUserIdError and touch nothing': {
    async run(t) {
      const id = t.newId();
      const version = expectOk(await t.store.create(id, t.record('kept', 'owner')), 'create');
      for (const userId of INVALID_USER_IDS) {
        const label = JSON.stringify(userId);
        const record = { ...t.record('changed'), userId: userId as string };
        await rejectsWithCode(
          () => t.store.create(t.newId(), record),
          'SESS_INVALID_USER_ID',
          `create(userId ${label})`,
        );
        await rejectsWithCode(
          () => t.store.update(id, record),
          'SESS_INVALID_USER_ID',
          `update(userId ${label})`,
        );
        const { destroyByUser, list } = t.store;
        if (t.capabilities.users && destroyByUser) {
          await rejectsWithCode(
            () => destroyByUser.call(t.store, userId as string),
            'SESS_INVALID_USER_ID',
            `destroyByUser(${label})`,
          );
          if (t.capabilities.list && list) {
            await rejectsWithCode(
              () => list.call(t.store, { userId: userId as string }),
              'SESS_INVALID_USER_ID',
              `list({ userId: ${label} })`,
            );
          }
        }
      }
      const after = await t.store.get(id);
      assert.equal(after?.data, 'kept');
      assert.equal(after?.version, version, 'a refused write changed the version');
    },
  },
});
