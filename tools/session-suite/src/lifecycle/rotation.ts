import { sessionIdOf } from '@sess/core';
import { expect } from 'vitest';
import { type Rule, tokenOf, type World } from './harness.js';

async function started(
  w: World,
  data: Record<string, unknown> = { cart: ['book'] },
  options: Parameters<World['manager']>[0] = {},
) {
  const manager = w.manager(options);
  const session = await manager.load(undefined);
  for (const [key, value] of Object.entries(data)) session.set(key, value);
  const token = tokenOf(await manager.commit(session));
  return { manager, token, id: sessionIdOf(token) };
}

/** regenerate() for login, destroy() for logout, and logouts that stay done. */
export function rotationRules(rule: Rule): void {
  rule(
    'regenerate issues a new token with the same data and destroys the old record',
    async (w) => {
      const { manager, token, id } = await started(w);
      const session = await manager.load(token);
      session.regenerate();
      session.userId = 'alice';
      expect(session.isNew).toBe(true);
      const fresh = tokenOf(await manager.commit(session));
      expect(fresh).not.toBe(token);
      expect(session.id).toBe(sessionIdOf(fresh));

      expect(await w.store.get(id)).toBeNull();
      expect((await manager.load(token)).isNew).toBe(true);
      const after = await manager.load(fresh);
      expect(after.get('cart')).toEqual(['book']);
      expect(after.userId).toBe('alice');
    },
  );

  rule('the old record goes before the new one is written', async (w) => {
    const { manager, token } = await started(w);
    const session = await manager.load(token);
    session.regenerate();
    w.spy.reset();
    await manager.commit(session);
    const writes = w.spy.calls.map((c) => c.op).filter((op) => op !== 'get');
    expect(writes).toEqual(['destroy', 'create']);
  });

  rule('regenerate keeps keys another request wrote to the old record meanwhile', async (w) => {
    const { manager, token } = await started(w);
    const login = await manager.load(token);
    const other = await manager.load(token);
    other.set('seen', 'yes');
    await manager.commit(other);

    login.regenerate();
    login.userId = 'alice';
    const fresh = tokenOf(await manager.commit(login));
    const after = await manager.load(fresh);
    expect(after.get('seen')).toBe('yes');
    expect(after.get('cart')).toEqual(['book']);
  });

  rule('destroy removes the record and clears the cookie', async (w) => {
    const { manager, token, id } = await started(w);
    const session = await manager.load(token);
    session.destroy();
    expect(session.keys()).toEqual([]);
    expect(session.userId).toBeUndefined();
    expect(await manager.commit(session)).toEqual({ clear: true });
    expect(await w.store.get(id)).toBeNull();
    expect((await manager.load(token)).isNew).toBe(true);
  });

  rule('keys set after destroy start a new session under a new token', async (w) => {
    const { manager, token, id } = await started(w);
    const session = await manager.load(token);
    session.destroy();
    session.set('flash', 'Signed out');
    const fresh = tokenOf(await manager.commit(session));
    expect(fresh).not.toBe(token);
    expect(await w.store.get(id)).toBeNull();
    const after = await manager.load(fresh);
    expect(after.keys()).toEqual(['flash']);
  });

  rule('a logout is not undone by a slow request that writes', async (w) => {
    const { manager, token, id } = await started(w);
    const slow = await manager.load(token);
    slow.set('cart', ['book', 'pen']);
    const held = w.spy.hold('update');
    const slowCommit = manager.commit(slow);
    await held.reached; // the slow request's write is on its way

    const logout = await w.manager().load(token); // another process
    logout.destroy();
    expect(await w.manager().commit(logout)).toEqual({ clear: true });

    held.release();
    expect(await slowCommit).toBeNull(); // no cookie: the logout's clear stands
    expect(await w.store.get(id)).toBeNull();
    expect((await manager.load(token)).isNew).toBe(true);
  });

  rule('a logout is not undone by a slow request that only renews', async (w) => {
    // A short idle window, so stores on real time wait seconds, not hours.
    const { manager, token, id } = await started(w, undefined, { idleTimeoutMs: 4_000 });
    await w.clock.advance(3_000); // renewal now due
    const slow = await manager.load(token);
    const held = w.spy.hold('touch');
    const slowCommit = manager.commit(slow);
    await held.reached;

    const logout = await w.manager().load(token);
    logout.destroy();
    await w.manager().commit(logout);

    held.release();
    expect(await slowCommit).toBeNull();
    expect(await w.store.get(id)).toBeNull();
  });

  rule('a logout is not undone by a slow request retrying after a conflict', async (w) => {
    const { manager, token, id } = await started(w);
    const slow = await manager.load(token);
    const other = await w.manager().load(token);
    other.set('theme', 'dark');
    await w.manager().commit(other); // slow's version is now stale

    slow.set('cart', []);
    const reread = w.spy.hold('get'); // the re-read after the conflict
    const slowCommit = manager.commit(slow);
    await reread.reached;

    const logout = await w.manager().load(token);
    logout.destroy();
    await w.manager().commit(logout);

    reread.release();
    expect(await slowCommit).toBeNull();
    expect(await w.store.get(id)).toBeNull();
    // The session object is now empty and new: committing it again writes nothing.
    expect(slow.isNew).toBe(true);
    expect(await manager.commit(slow)).toBeNull();
  });
}
