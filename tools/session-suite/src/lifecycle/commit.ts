import { PayloadTooLargeError, SessionDataError, sessionIdOf } from '@sess/core';
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
    }
    expect(session.isModified).toBe(false);
  });

  rule('data over the size limit is refused before any store call', async (w) => {
    const manager = w.manager();
    const session = await manager.load(undefined);
    session.set('big', 'x'.repeat(64 * 1024 + 1));
    await expect(manager.commit(session)).rejects.toBeInstanceOf(PayloadTooLargeError);
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
    await expect(roomy.commit(large)).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(w.spy.callCount()).toBe(0);
  });

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
}
