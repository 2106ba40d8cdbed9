import { PayloadTooLargeError, type Session, SessionDataError, sessionIdOf } from '@sess/core';
import { expect } from 'vitest';
import { type Rule, tokenOf } from './harness.js';

/** Load, read and write keys, and commit with the least work. */
export function commitRules(rule: Rule): void {
  rule('an untouched new session commits to nothing and calls no store', async (w) => {
    const manager = w.manager();
    const session = await manager.load(undefined);
    expect(session.isNew).toBe(true);
    expect(session.isModified).toBe(false);
    expect(await manager.commit(session)).toBeNull();
    expect(w.spy.callCount()).toBe(0);
  });

  rule('a new session with data is created once and loads back by its token', async (w) => {
    const manager = w.manager();
    const session = await manager.load(undefined);
    session.set('visits', 1).set('theme', 'dark');
    expect(session.isModified).toBe(true);
    const cookie = await manager.commit(session);
    expect(w.spy.calls.map((c) => c.op)).toEqual(['create']);
    const token = tokenOf(cookie);
    expect(session.isNew).toBe(false);
    expect(session.id).toBe(sessionIdOf(token));

    const again = await manager.load(token);
    expect(again.isNew).toBe(false);
    expect(again.get('visits')).toBe(1);
    expect(again.get('theme')).toBe('dark');
  });

  rule('a new session with only a user is created', async (w) => {
    const manager = w.manager();
    const session = await manager.load(undefined);
    session.userId = 'alice';
    const token = tokenOf(await manager.commit(session));
    expect((await manager.load(token)).userId).toBe('alice');
    expect((await w.store.get(sessionIdOf(token)))?.userId).toBe('alice');
  });

  rule('a loaded session nobody changed commits to nothing while renewal is not due', async (w) => {
    const manager = w.manager();
    const first = await manager.load(undefined);
    first.set('a', 1);
    const token = tokenOf(await manager.commit(first));
    w.spy.reset();
    const session = await manager.load(token);
    expect(session.isModified).toBe(false);
    expect(await manager.commit(session)).toBeNull();
    expect(w.spy.calls.map((c) => c.op)).toEqual(['get']);
  });

  rule('a changed session is saved with one update carrying the loaded version', async (w) => {
    const manager = w.manager();
    const first = await manager.load(undefined);
    first.set('a', 1);
    const token = tokenOf(await manager.commit(first));
    const version = (await w.store.get(sessionIdOf(token)))?.version;
    w.spy.reset();

    const session = await manager.load(token);
    session.set('a', 2);
    const cookie = await manager.commit(session);
    expect(tokenOf(cookie)).toBe(token);
    expect(w.spy.calls.map((c) => c.op)).toEqual(['get', 'update']);
    expect(w.spy.calls[1]?.options).toEqual({ ifVersion: version });
    expect((await manager.load(token)).get('a')).toBe(2);
  });

  rule('get, set, delete, has and keys behave as a map; set(undefined) deletes', async (w) => {
    const manager = w.manager();
    const session = await manager.load(undefined);
    expect(session.get('missing')).toBeUndefined();
    session
      .set('a', 1)
      .set('b', { nested: [1, 2] })
      .set('c', 'x');
    expect(session.has('a')).toBe(true);
    expect(session.keys()).toEqual(['a', 'b', 'c']);
    expect(session.delete('a')).toBe(true);
    expect(session.delete('a')).toBe(false);
    session.set('c', undefined);
    expect(session.keys()).toEqual(['b']);
    const token = tokenOf(await manager.commit(session));

    const loaded = await manager.load(token);
    expect(loaded.keys()).toEqual(['b']);
    expect(loaded.get('b')).toEqual({ nested: [1, 2] });
    loaded.delete('b');
    expect(loaded.isModified).toBe(true);
    await manager.commit(loaded);
    expect((await manager.load(token)).keys()).toEqual([]);
  });

  rule('a second commit with nothing new does nothing', async (w) => {
    const manager = w.manager();
    const session = await manager.load(undefined);
    session.set('a', 1);
    await manager.commit(session);
    expect(session.isModified).toBe(false);
    w.spy.reset();
    expect(await manager.commit(session)).toBeNull();
    expect(w.spy.callCount()).toBe(0);
  });

  rule(
    'data the codec cannot store is refused with SessionDataError before any store call',
    async (w) => {
      const manager = w.manager();
      class Point {
        x = 1;
      }
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const refused: unknown[] = [() => 1, Symbol('s'), cyclic, new Point(), { [Symbol('k')]: 1 }];

      const stored = await manager.load(undefined);
      stored.set('ok', true);
      const token = tokenOf(await manager.commit(stored));

      for (const value of refused) {
        w.spy.reset();
        const fresh = await manager.load(undefined);
        fresh.set('bad', value);
        await expect(manager.commit(fresh)).rejects.toBeInstanceOf(SessionDataError);
        expect(w.spy.callCount()).toBe(0);

        const loaded = await manager.load(token);
        w.spy.reset();
        loaded.set('bad', value);
        await expect(manager.commit(loaded)).rejects.toBeInstanceOf(SessionDataError);
        expect(w.spy.callCount()).toBe(0);
      }
      expect((await manager.load(token)).keys()).toEqual(['ok']);
    },
  );

  rule('refused key names throw at set()', async (w) => {
    const session = await w.manager().load(undefined);
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      expect(() => session.set(key, 1)).toThrow(SessionDataError);
      expect(() => session.set(key, 1)).toThrow(key);
    }
    expect(() => session.set(1 as unknown as string, 1)).toThrow(SessionDataError);
    expect(session.isModified).toBe(false);
  });

  rule(
    'data over the size limit is refused before any store call, naming the limit hit',
    async (w) => {
      const manager = w.manager();
      const session = await manager.load(undefined);
      session.set('big', 'x'.repeat(64 * 1024 + 1));
      const byCodec = await manager.commit(session).catch((e: unknown) => e);
      expect(byCodec).toBeInstanceOf(PayloadTooLargeError);
      expect(byCodec).toMatchObject({ source: 'codec', limit: 64 * 1024 });
      expect((byCodec as Error).message).toMatch(
        /the session codec accepts at most 65536 \(its maxBytes\)/,
      );
      expect(w.spy.callCount()).toBe(0);

      // The store's own limit counts too, whatever the codec allows.
      const roomy = w.manager({
        codec: {
          format: 'json',
          encode: (data) => JSON.stringify(data),
          decode: (payload) => JSON.parse(payload),
        },
      });
      const large = await roomy.load(undefined);
      large.set('big', 'é'.repeat(Math.ceil(w.store.capabilities.maxPayloadBytes / 2)));
      const byStore = await roomy.commit(large).catch((e: unknown) => e);
      expect(byStore).toBeInstanceOf(PayloadTooLargeError);
      const { maxPayloadBytes } = w.store.capabilities;
      expect(byStore).toMatchObject({ source: 'store', limit: maxPayloadBytes });
      expect((byStore as Error).message).toContain(
        `this store accepts at most ${maxPayloadBytes} (its maxPayloadBytes)`,
      );
      expect(w.spy.callCount()).toBe(0);
    },
  );

  rule(
    'a record this manager cannot read loads as a fresh session and is left in place',
    async (w) => {
      const writer = w.manager({
        codec: {
          format: 'other/1',
          encode: (data) => JSON.stringify(data),
          decode: (payload) => JSON.parse(payload),
        },
      });
      const session = await writer.load(undefined);
      session.set('a', 1);
      const token = tokenOf(await writer.commit(session));

      const reader = w.manager();
      const loaded = await reader.load(token);
      expect(loaded.isNew).toBe(true);
      expect(loaded.keys()).toEqual([]);
      expect(await w.store.get(sessionIdOf(token))).not.toBeNull();
      expect((await writer.load(token)).get('a')).toBe(1);
    },
  );

  rule(
    'commitDue is true exactly when commit calls the store or sets or clears the cookie',
    async (w) => {
      // Short windows, so the time-based cases run on real time too.
      const manager = w.manager({ idleTimeoutMs: 2_000, absoluteTimeoutMs: 2_000 });
      const stored = async () => {
        const session = await manager.load(undefined);
        session.set('a', 1);
        return tokenOf(await manager.commit(session));
      };
      const check = async (name: string, session: Session) => {
        const due = manager.commitDue(session);
        w.spy.reset();
        const result = await manager.commit(session);
        const worked = result !== null || w.spy.callCount() > 0;
        expect(due, name).toBe(worked);
        return due;
      };
      const fresh = () => manager.load(undefined);
      const loaded = async () => manager.load(await stored());

      expect(await check('new, untouched', await fresh())).toBe(false);
      expect(await check('new, with data', (await fresh()).set('a', 1))).toBe(true);
      const owned = await fresh();
      owned.userId = 'alice';
      expect(await check('new, with a user', owned)).toBe(true);
      const anonymousLogout = await fresh();
      anonymousLogout.destroy();
      expect(await check('new, destroyed', anonymousLogout)).toBe(true);
      const setAndDeleted = await fresh();
      setAndDeleted.set('a', 1).delete('a');
      expect(await check('new, a key set then deleted', setAndDeleted)).toBe(false);

      expect(await check('loaded, untouched', await loaded())).toBe(false);
      expect(await check('loaded, changed', (await loaded()).set('b', 2))).toBe(true);
      const deleted = await loaded();
      deleted.delete('a');
      expect(await check('loaded, a key deleted', deleted)).toBe(true);
      const renamed = await loaded();
      renamed.userId = 'bob';
      expect(await check('loaded, user changed', renamed)).toBe(true);
      const rotated = await loaded();
      rotated.regenerate();
      expect(await check('loaded, regenerated', rotated)).toBe(true);
      const ended = await loaded();
      ended.destroy();
      expect(await check('loaded, destroyed', ended)).toBe(true);

      // The whole window is the absolute lifetime: renewal is never due, the deadline is.
      const token = await stored();
      await w.clock.advance(1_200);
      const late = await manager.load(token);
      expect(late.isNew).toBe(false);
      expect(await check('loaded, renewal not due', late)).toBe(false);
      await w.clock.advance(900);
      expect(await check('loaded before the deadline, committed after it', late)).toBe(true);

      const renewing = w.manager({ idleTimeoutMs: 2_000 });
      const first = await renewing.load(undefined);
      first.set('a', 1);
      const kept = tokenOf(await renewing.commit(first));
      await w.clock.advance(1_200);
      const due = await renewing.load(kept);
      expect(renewing.commitDue(due)).toBe(true);
      w.spy.reset();
      expect(await renewing.commit(due)).not.toBeNull();
      expect(w.spy.callCount('touch')).toBe(1);
    },
  );

  rule(
    'commitDue and isModified say whether commit has work, and commit leaves none',
    async (w) => {
      const manager = w.manager({ idleTimeoutMs: 60_000, absoluteTimeoutMs: 600_000 });
      const due = (session: Session) => [manager.commitDue(session), session.isModified];
      const fresh = await manager.load(undefined);
      expect(due(fresh)).toEqual([false, false]);
      fresh.delete('absent');
      expect(due(fresh)).toEqual([false, false]);
      fresh.userId = 'alice';
      expect(due(fresh)).toEqual([true, true]);
      const token = tokenOf(await manager.commit(fresh));
      expect(due(fresh)).toEqual([false, false]);

      const loaded = await manager.load(token);
      loaded.userId = 'alice'; // the user it already has
      loaded.delete('absent');
      expect(due(loaded)).toEqual([false, false]);
      expect(() => {
        loaded.userId = '';
      }).toThrow();
      loaded.userId = undefined; // the user signs out, the session stays
      expect(due(loaded)).toEqual([true, true]);
      await manager.commit(loaded);
      expect(due(loaded)).toEqual([false, false]);
      w.spy.reset();
      expect(await manager.commit(loaded)).toBeNull();
      expect(w.spy.callCount()).toBe(0);
      expect((await manager.load(token)).userId).toBeUndefined();

      loaded.regenerate();
      expect(due(loaded)).toEqual([true, true]);
      const rotated = tokenOf(await manager.commit(loaded));
      expect(due(loaded)).toEqual([false, false]);
      w.spy.reset();
      expect(await manager.commit(loaded)).toBeNull();
      expect(w.spy.callCount()).toBe(0);

      loaded.destroy();
      expect(due(loaded)).toEqual([true, true]);
      expect(await manager.commit(loaded)).toEqual({ clear: true });
      expect(due(loaded)).toEqual([false, false]);
      expect(await manager.commit(loaded)).toBeNull();
      expect((await manager.load(rotated)).isNew).toBe(true);
    },
  );

  rule('regenerate on a new session stores it under a token even without data', async (w) => {
    const manager = w.manager();
    const session = await manager.load(undefined);
    session.regenerate();
    expect(manager.commitDue(session)).toBe(true);
    const token = tokenOf(await manager.commit(session));
    expect((await manager.load(token)).isNew).toBe(false);
  });

  rule('commitDue turns true at the absolute deadline, to the millisecond', async (w) => {
    const clock = { now: w.clock.now() };
    const manager = w.manager({
      idleTimeoutMs: 100_000,
      absoluteTimeoutMs: 100_000,
      renewWhenRemainingMs: 0,
      now: () => clock.now,
    });
    const session = await manager.load(undefined);
    session.set('a', 1);
    await manager.commit(session);
    clock.now = session.createdAt + 100_000 - 1;
    expect(manager.commitDue(session)).toBe(false);
    clock.now += 1;
    expect(manager.commitDue(session)).toBe(true);
  });
}
