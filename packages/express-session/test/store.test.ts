import assert from 'node:assert/strict';
import type { SessionStore } from '@sess/core';
import type { SessionData } from 'express-session';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { SessStore } from '../src/index.js';
import { BACKENDS, type Backend, openBackend } from './support/backends.js';
import { hasCode, loaded, newSid, sessionOf } from './support/sessions.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** What express-session gets back from JSON stores; ours must give Dates instead. */
function callback<T>(run: (done: (error: unknown, value?: T) => void) => void) {
  return new Promise<{ error: unknown; value: T | undefined }>((resolve) =>
    run((error, value) => resolve({ error, value })),
  );
}

for (const name of BACKENDS) {
  describe(`SessStore over ${name}`, () => {
    let backend: Backend;
    let sess: SessionStore;
    let store: SessStore;
    const listing = () => sess.capabilities.list;

    beforeAll(async () => {
      backend = await openBackend(name);
    });
    afterAll(async () => {
      await backend.close();
    });
    const fresh = async (options: ConstructorParameters<typeof SessStore>[1] = {}) => {
      sess = await backend.open();
      store = new SessStore(sess, options);
      return store;
    };

    it('get gives back what set stored, cookie and Dates included', async () => {
      await fresh();
      const sid = newSid();
      const data = sessionOf({
        user: { name: 'ada', roles: ['admin'] },
        seen: new Date('2024-05-01T10:00:00Z'),
        tags: new Set(['a', 'b']),
        visits: 3,
      });
      await store.set(sid, data);
      const back = await store.get(sid);
      assert.ok(back);
      const cookie = back.cookie as unknown as Record<string, unknown>;
      assert.ok(cookie.expires instanceof Date, 'cookie.expires is a Date');
      assert.equal((cookie.expires as Date).getTime(), (data.cookie.expires as Date).getTime());
      assert.deepEqual(
        { ...cookie },
        {
          originalMaxAge: HOUR,
          expires: data.cookie.expires,
          httpOnly: true,
          path: '/',
        },
      );
      const { cookie: _, ...rest } = back as unknown as Record<string, unknown>;
      assert.deepEqual(rest, {
        user: { name: 'ada', roles: ['admin'] },
        seen: new Date('2024-05-01T10:00:00Z'),
        tags: new Set(['a', 'b']),
        visits: 3,
      });
    });

    it('a loaded session round-trips through express-session’s own Session and Cookie', async () => {
      await fresh();
      const sid = newSid();
      await store.set(sid, sessionOf({ n: 1 }, { maxAge: 2 * HOUR }));
      const data = await store.get(sid);
      assert.ok(data);
      const session = loaded(store, sid, data);
      // createSession rebuilt the Cookie: maxAge counts down from the stored expiry.
      const maxAge = session.cookie.maxAge ?? 0;
      assert.ok(maxAge > HOUR && maxAge <= 2 * HOUR, `maxAge ${maxAge}`);
      assert.equal(session.cookie.originalMaxAge, 2 * HOUR);
      session.n = 2;
      await store.set(sid, session);
      assert.equal((await store.get(sid))?.n, 2);
    });

    it('the stored expiry is the cookie’s expires', async () => {
      await fresh();
      const sid = newSid();
      const data = sessionOf({}, { maxAge: 90 * 60_000 });
      await store.set(sid, data);
      const record = await sess.get(sid);
      assert.equal(record?.expiresAt, (data.cookie.expires as Date).getTime());
    });

    it('a cookie without expiry gets the default lifetime (one day unless set)', async () => {
      await fresh();
      const sid = newSid();
      const before = Date.now();
      await store.set(sid, sessionOf({}, { maxAge: null }));
      const after = Date.now();
      const record = await sess.get(sid);
      assert.ok(record);
      assert.ok(record.expiresAt >= before + DAY && record.expiresAt <= after + DAY);

      const short = new SessStore(sess, { defaultLifetimeMs: 60_000 });
      await short.set(sid, sessionOf({}, { maxAge: null }));
      const shorter = await sess.get(sid);
      assert.ok(shorter && shorter.expiresAt <= Date.now() + 60_000);
    });

    it('touch moves only the expiry', async () => {
      await fresh();
      const sid = newSid();
      await store.set(sid, sessionOf({ n: 1 }, { maxAge: HOUR }));
      const before = await sess.get(sid);
      assert.ok(before);
      const changed = sessionOf({ n: 99 }, { maxAge: 5 * HOUR });
      await store.touch(sid, changed);
      const after = await sess.get(sid);
      assert.ok(after);
      assert.equal(after.expiresAt, (changed.cookie.expires as Date).getTime());
      assert.equal(after.data, before.data, 'data untouched');
      assert.equal(after.version, before.version, 'version untouched');
      assert.equal((await store.get(sid))?.n, 1);
    });

    it('touchAfterMs skips touches that would move a loaded session’s expiry by less', async () => {
      await fresh({ touchAfterMs: 10 * 60_000 });
      const sid = newSid();
      await store.set(sid, sessionOf({ n: 1 }, { maxAge: HOUR }));
      const written = await sess.get(sid);
      assert.ok(written);
      const data = await store.get(sid);
      assert.ok(data);
      const session = loaded(store, sid, data);
      session.cookie.expires = new Date(written.expiresAt + 5 * 60_000);
      await store.touch(sid, session);
      assert.equal((await sess.get(sid))?.expiresAt, written.expiresAt, 'a small move is skipped');
      session.cookie.expires = new Date(written.expiresAt + 20 * 60_000);
      await store.touch(sid, session);
      assert.equal((await sess.get(sid))?.expiresAt, written.expiresAt + 20 * 60_000);
      session.cookie.expires = new Date(written.expiresAt + 25 * 60_000);
      await store.touch(sid, session);
      assert.equal(
        (await sess.get(sid))?.expiresAt,
        written.expiresAt + 20 * 60_000,
        'measured from the last expiry written',
      );
      session.cookie.expires = new Date(written.expiresAt - 60_000);
      await store.touch(sid, session);
      assert.equal(
        (await sess.get(sid))?.expiresAt,
        written.expiresAt - 60_000,
        'a shorter one is written',
      );
    });

    it('touch of a missing session brings nothing back', async () => {
      await fresh();
      const sid = newSid();
      await store.touch(sid, sessionOf({ n: 1 }));
      assert.equal(await store.get(sid), null);
    });

    it('a sid outside sess’s id rules is a miss for get, touch and destroy, and refused by set', async () => {
      await fresh();
      for (const sid of ['', 'has.dot', 'has space', 'x'.repeat(129), 'ünïcode', '../etc']) {
        assert.equal(await store.get(sid), null);
        const viaCallback = await callback<unknown>((done) => store.get(sid, done));
        assert.deepEqual(viaCallback, { error: null, value: null });
        await store.touch(sid, sessionOf());
        await store.destroy(sid);
        await assert.rejects(store.set(sid, sessionOf()), hasCode('SESS_INVALID_ID'));
      }
    });

    it('callbacks and promises both work, errors included', async () => {
      await fresh();
      const sid = newSid();
      const set = await callback<void>((done) => store.set(sid, sessionOf({ n: 7 }), done));
      assert.equal(set.error, null);
      const got = await callback<SessionData | null>((done) => store.get(sid, done));
      assert.equal(got.error, null);
      assert.equal(got.value?.n, 7);
      assert.equal((await store.get(sid))?.n, 7);
      const touched = await callback<void>((done) => store.touch(sid, sessionOf(), done));
      assert.equal(touched.error, null);
      const failed = await callback<void>((done) => store.set('bad.sid', sessionOf(), done));
      assert.ok(hasCode('SESS_INVALID_ID')(failed.error));
      const refused = await callback<void>((done) =>
        store.set(sid, sessionOf({ handle: new (class Handle {})() }), done),
      );
      assert.ok(hasCode('SESS_DATA')(refused.error), 'data the codec cannot restore is refused');
      assert.equal((await store.get(sid))?.n, 7, 'and the stored session is unchanged');
      const destroyed = await callback<void>((done) => store.destroy(sid, done));
      assert.equal(destroyed.error, null);
      assert.equal(await store.get(sid), null);
      // With a callback nothing is returned, so nothing can be left unhandled.
      assert.equal(
        store.get(sid, () => {}),
        undefined,
      );
    });

    it('a session destroyed while a request still holds it is not brought back by its save', async () => {
      await fresh();
      const sid = newSid();
      await store.set(sid, sessionOf({ n: 1 }));
      const data = await store.get(sid);
      assert.ok(data);
      const inFlight = loaded(store, sid, data);
      await store.destroy(sid); // a logout in a parallel request
      inFlight.n = 2;
      await store.set(sid, inFlight);
      assert.equal(await store.get(sid), null);
      assert.equal(await sess.get(sid), null);
    });

    it('a new session is created, then updated by later saves', async () => {
      await fresh();
      const sid = newSid();
      const session = sessionOf({ n: 1 });
      await store.set(sid, session);
      const first = await sess.get(sid);
      (session as { n?: number }).n = 2;
      await store.set(sid, session);
      const second = await sess.get(sid);
      assert.ok(first && second);
      assert.notEqual(second.version, first.version);
      assert.equal((await store.get(sid))?.n, 2);
      // A plain object saved under an existing sid replaces it (express-session's set is an upsert).
      await store.set(sid, sessionOf({ n: 3 }));
      assert.equal((await store.get(sid))?.n, 3);
    });

    it('saving a session whose cookie has expired ends it', async () => {
      await fresh();
      const sid = newSid();
      await store.set(sid, sessionOf({ n: 1 }));
      const expired = sessionOf({ n: 2 });
      expired.cookie.expires = new Date(Date.now() - 1000);
      await store.set(sid, expired);
      assert.equal(await store.get(sid), null);
    });

    it('a record the bridge did not write reads as a miss and stays in place', async () => {
      await fresh();
      const sid = newSid();
      await sess.create(sid, { data: '{"not":"ours"}', expiresAt: Date.now() + HOUR });
      assert.equal(await store.get(sid), null);
      assert.equal((await sess.get(sid))?.data, '{"not":"ours"}');
    });

    it('ids, all, length and clear work as the store’s capabilities allow', async () => {
      await fresh();
      const other = new SessStore(await backend.open());
      const sids = Array.from({ length: 5 }, newSid);
      for (const [i, sid] of sids.entries()) await store.set(sid, sessionOf({ n: i }));
      await other.set(newSid(), sessionOf({ n: 100 }));
      if (!listing()) {
        for (const call of [store.ids(), store.all(), store.length(), store.clear()]) {
          await assert.rejects(call, (error: unknown) => {
            assert.ok(hasCode('SESS_UNSUPPORTED')(error));
            assert.match((error as Error).message, /MemcachedStore does not support/);
            return true;
          });
        }
        return;
      }
      assert.deepEqual((await store.ids()).sort(), [...sids].sort());
      const all = await store.all();
      assert.deepEqual(
        all.map((s) => [(s as unknown as { id: string }).id, s.n]).sort(),
        sids.map((sid, i) => [sid, i]).sort(),
      );
      assert.ok(all.every((s) => s.cookie.expires instanceof Date));
      assert.equal(await store.length(), 5);
      const viaCallback = await callback<number>((done) => store.length(done));
      assert.deepEqual(viaCallback, { error: null, value: 5 });
      await store.clear();
      assert.equal(await store.length(), 0);
      assert.deepEqual(await store.ids(), []);
      assert.equal(await other.length(), 1, 'another namespace is untouched');
    });

    it('userIdOf tags sessions: destroyByUser and listByUser work through the bridge', async () => {
      await fresh({ userIdOf: (s) => s.passport?.user });
      const laptop = newSid();
      const phone = newSid();
      const bob = newSid();
      const anonymous = newSid();
      await store.set(laptop, sessionOf({ passport: { user: 42 }, device: 'laptop' }));
      await store.set(phone, sessionOf({ passport: { user: 42 }, device: 'phone' }));
      await store.set(bob, sessionOf({ passport: { user: 'bob' } }));
      await store.set(anonymous, sessionOf({ n: 1 }));
      if (!sess.capabilities.users) {
        await assert.rejects(store.destroyByUser(42), hasCode('SESS_UNSUPPORTED'));
        await assert.rejects(store.listByUser(42), hasCode('SESS_UNSUPPORTED'));
        return;
      }
      const mine = await store.listByUser(42);
      assert.deepEqual(
        mine.map((s) => [s.id, (s.session as { device?: string }).device]).sort(),
        [
          [laptop, 'laptop'],
          [phone, 'phone'],
        ].sort(),
      );
      assert.equal(await store.destroyByUser(42, { except: laptop }), 1);
      assert.equal(await store.get(phone), null);
      assert.ok(await store.get(laptop));
      assert.equal(await store.destroyByUser('42'), 1);
      assert.equal(await store.get(laptop), null);
      assert.ok(await store.get(bob));
      assert.ok(await store.get(anonymous));
      // A login moves the session to its user; a logout (passport deletes it) takes it away.
      await store.set(anonymous, sessionOf({ passport: { user: 'bob' } }));
      assert.equal((await store.listByUser('bob')).length, 2);
      await store.set(bob, sessionOf({ passport: {} }));
      assert.deepEqual(
        (await store.listByUser('bob')).map((s) => s.id),
        [anonymous],
      );
    });

    it('per-user calls without userIdOf say what is missing', async () => {
      await fresh();
      const code = sess.capabilities.users ? 'SESS_INVALID_OPTION' : 'SESS_UNSUPPORTED';
      await assert.rejects(store.destroyByUser('u'), hasCode(code));
      await assert.rejects(store.listByUser('u'), hasCode(code));
    });
  });
}

describe('SessStore options', () => {
  it('refuses what cannot work, with typed errors', async () => {
    const { MemoryStore } = await import('@sess/core');
    const sess = new MemoryStore();
    const bad: Array<() => unknown> = [
      () => new SessStore(undefined as never),
      () => new SessStore({} as never),
      () => new SessStore(sess, { defaultLifetimeMs: 0 }),
      () => new SessStore(sess, { defaultLifetimeMs: 1.5 }),
      () => new SessStore(sess, { userIdOf: 'passport.user' as never }),
      () => new SessStore(sess, { migrateFrom: {} as never }),
      () =>
        new SessStore(sess, { codec: { format: 'has space', encode: String, decode: () => ({}) } }),
    ];
    for (const make of bad) assert.throws(make, hasCode('SESS_INVALID_OPTION'));
    const store = new SessStore(sess);
    assert.throws(() => store.migrationStats(), hasCode('SESS_INVALID_OPTION'));
    await assert.rejects(store.migrateAll(), hasCode('SESS_INVALID_OPTION'));
  });

  it('a codec of the app’s own is used both ways', async () => {
    const { MemoryStore } = await import('@sess/core');
    const sess = new MemoryStore();
    const store = new SessStore(sess, {
      codec: {
        format: 'json',
        encode: (data) => JSON.stringify(data),
        decode: (payload) => JSON.parse(payload),
      },
    });
    const sid = newSid();
    await store.set(sid, sessionOf({ n: 1 }));
    assert.match((await sess.get(sid))?.data ?? '', /^es\/1 json\n\{/);
    const back = await store.get(sid);
    // Plain JSON: expires comes back a string, which express-session turns into a Date itself.
    assert.equal(typeof back?.cookie.expires, 'string');
    assert.equal(back?.n, 1);
  });
});
