import assert from 'node:assert/strict';
import { expectOk } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { defineTests } from './define.js';

async function sessionsOf(t: ConformanceContext, userId: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => t.newId());
  await Promise.all(
    ids.map(async (id) => expectOk(await t.store.create(id, t.record(id, userId)), 'create')),
  );
  return ids;
}

async function liveIds(t: ConformanceContext, ids: string[]): Promise<string[]> {
  const reads = await Promise.all(ids.map((id) => t.store.get(id)));
  return ids.filter((_, i) => reads[i] !== null);
}

export const userTests = defineTests({
  'users: destroyByUser destroys every session of the user and returns how many': {
    requires: ['users'],
    async run(t) {
      const ids = await sessionsOf(t, 'alice', 5);
      assert.equal(await t.store.destroyByUser?.('alice'), 5);
      assert.deepEqual(await liveIds(t, ids), [], 'sessions of the user survived destroyByUser');
      assert.equal(await t.store.destroyByUser?.('alice'), 0, 'a second call found sessions');
    },
  },
  'users: destroyByUser counts only sessions that were still there': {
    requires: ['users'],
    async run(t) {
      const [gone, kept, moved] = await sessionsOf(t, 'alice', 3);
      assert.ok(gone && kept && moved);
      await t.store.destroy(gone);
      expectOk(await t.store.update(moved, t.record('now bob’s', 'bob')), 'update to bob');
      assert.equal(
        await t.store.destroyByUser?.('alice'),
        1,
        'destroyByUser counted a session destroyed or moved to another user before it ran',
      );
      assert.deepEqual(await liveIds(t, [gone, kept, moved]), [moved], 'after destroyByUser');
    },
  },
  'users: destroyByUser does not count sessions that had expired': {
    requires: ['users'],
    async run(t) {
      const expired = t.newId();
      await t.createExpired(expired, { userId: 'alice' });
      const live = await sessionsOf(t, 'alice', 2);
      assert.equal(
        await t.store.destroyByUser?.('alice'),
        2,
        'destroyByUser counted a session that had expired before it ran',
      );
      assert.deepEqual(await liveIds(t, [expired, ...live]), [], 'after destroyByUser');
    },
  },
  'users: destroyByUser honours except': {
    requires: ['users'],
    async run(t) {
      const [keep, ...rest] = await sessionsOf(t, 'alice', 4);
      assert.ok(keep);
      assert.equal(await t.store.destroyByUser?.('alice', { except: keep }), 3);
      assert.deepEqual(
        await liveIds(t, [keep, ...rest]),
        [keep],
        'after destroyByUser with except',
      );
    },
  },
  'users: destroyByUser leaves other users and anonymous sessions alone': {
    requires: ['users'],
    async run(t) {
      await sessionsOf(t, 'alice', 3);
      const bob = await sessionsOf(t, 'bob', 3);
      const prefixed = await sessionsOf(t, 'alice2', 1);
      const anonymous = t.newId();
      expectOk(await t.store.create(anonymous, t.record()), 'create');
      assert.equal(
        await t.store.destroyByUser?.('alice'),
        3,
        'destroyByUser of alice’s 3 sessions',
      );
      assert.deepEqual(
        await liveIds(t, [...bob, ...prefixed, anonymous]),
        [...bob, ...prefixed, anonymous],
        'destroyByUser removed sessions of other users or anonymous ones',
      );
    },
  },
  'users: an update that changes userId moves the session to the new user': {
    requires: ['users'],
    async run(t) {
      const [id] = await sessionsOf(t, 'alice', 1);
      assert.ok(id);
      expectOk(await t.store.update(id, t.record('now bob', 'bob')), 'update');
      assert.equal(
        await t.store.destroyByUser?.('alice'),
        0,
        'the session still counted as alice’s',
      );
      assert.notEqual(
        await t.store.get(id),
        null,
        'destroyByUser of the old user removed the session',
      );
      assert.equal(await t.store.destroyByUser?.('bob'), 1, 'destroyByUser of the new user');
      assert.equal(await t.store.get(id), null, 'destroyByUser left the session of its new user');
    },
  },
  'users: user ids are opaque text': {
    requires: ['users'],
    async run(t) {
      const users = ['a:b', 'a', 'a*', '*', 'a/../b', 'ü\u{1F600}', ' space ', 'a\nb', 'A'];
      const owned = await Promise.all(users.map((u) => sessionsOf(t, u, 1)));
      for (const [i, userId] of users.entries()) {
        assert.equal(
          await t.store.destroyByUser?.(userId),
          1,
          `destroyByUser(${JSON.stringify(userId)})`,
        );
        const remaining = owned.slice(i + 1).flat();
        assert.deepEqual(
          await liveIds(t, remaining),
          remaining,
          `after destroying ${JSON.stringify(userId)}`,
        );
      }
    },
  },
});
