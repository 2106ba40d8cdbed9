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

  rule(
    'regenerate writes the new record, then claims the old one at the version read, then destroys it',
    async (w) => {
      const { manager, token, id } = await started(w);
      const session = await manager.load(token);
      const version = (await w.store.get(id))?.version;
      session.regenerate();
      w.spy.reset();
      await manager.commit(session);
      const writes = w.spy.calls.filter((c) => c.op !== 'get');
      expect(writes.map((c) => c.op)).toEqual(['create', 'update', 'destroy']);
      expect(writes[1]).toEqual({ op: 'update', id, options: { ifVersion: version } });
      expect(writes[2]).toEqual({ op: 'destroy', id });
    },
  );

  for (const ending of ['a logout', 'destroyForUser'] as const) {
    const end = async (w: World, token: string) => {
      if (ending === 'a logout') {
        const logout = await w.manager().load(token);
        logout.destroy();
        expect(await w.manager().commit(logout)).toEqual({ clear: true });
      } else {
        expect(await w.manager().destroyForUser('alice')).toBeGreaterThan(0);
      }
    };

    rule(`a regenerate loaded before ${ending} cannot undo it`, async (w, skip) => {
      if (ending === 'destroyForUser' && !w.store.capabilities.users) {
        return skip('the store does not keep users');
      }
      const { manager, token, id } = await started(w, { cart: ['book'] });
      const login = await manager.load(token);
      login.userId = 'alice';
      const alice = tokenOf(await manager.commit(login));
      expect(alice).toBe(token);

      const stale = await manager.load(token); // an older request, still running
      await end(w, token);
      stale.regenerate();
      stale.set('step', 'after');
      expect(await manager.commit(stale)).toBeNull(); // no new token
      expect(stale.isNew).toBe(true);
      expect(stale.keys()).toEqual([]);
      expect(await w.store.get(id)).toBeNull();
      expect((await manager.load(token)).isNew).toBe(true);
      if (w.store.capabilities.users && w.store.capabilities.list) {
        expect(await w.manager().listForUser('alice')).toEqual([]);
      }
    });

    rule(
      `a regenerate whose claim of the old record meets ${ending} removes its new record`,
      async (w, skip) => {
        if (ending === 'destroyForUser' && !w.store.capabilities.users) {
          return skip('the store does not keep users');
        }
        // No retries: the logout must end the rotation, not a conflict.
        const { manager, token } = await started(w, { cart: ['book'] }, { conflictRetries: 0 });
        const login = await manager.load(token);
        login.userId = 'alice';
        await manager.commit(login);

        const rotating = await manager.load(token);
        rotating.regenerate();
        const claim = w.spy.hold('update'); // the new record is written; the claim is next
        const commit = manager.commit(rotating);
        await claim.reached;
        const created = w.spy.calls.find((c) => c.op === 'create')?.id as string;
        expect(await w.store.get(created)).not.toBeNull();

        await end(w, token);
        claim.release();
        expect(await commit).toBeNull();
        expect(await w.store.get(created)).toBeNull();
        expect(rotating.isNew).toBe(true);
        if (w.store.capabilities.users && w.store.capabilities.list) {
          expect(await w.manager().listForUser('alice')).toEqual([]);
        }
      },
    );
  }

  rule('a regenerate keeps the absolute deadline: rotating never extends a session', async (w) => {
    const options = { idleTimeoutMs: 4_000, absoluteTimeoutMs: 6_000 };
    const { manager, token } = await started(w, { cart: ['book'] }, options);
    const first = await manager.load(token);
    const deadline = first.createdAt + 6_000;
    let current = token;
    for (let round = 0; round < 2; round++) {
      await w.clock.advance(2_000);
      const session = await manager.load(current);
      expect(session.isNew).toBe(false);
      session.regenerate();
      const cookie = await manager.commit(session);
      current = tokenOf(cookie);
      expect(session.createdAt).toBe(first.createdAt);
      expect((cookie as { expiresAt: number }).expiresAt).toBeLessThanOrEqual(deadline);
    }
    await w.clock.advance(deadline - w.clock.now() + 1 + w.store.capabilities.ttlResolutionMs);
    expect((await manager.load(current)).isNew).toBe(true);
  });

  rule('a session regenerated at its absolute deadline ends instead of moving', async (w) => {
    const options = { idleTimeoutMs: 4_000, absoluteTimeoutMs: 6_000 };
    const { manager, token, id } = await started(w, { cart: ['book'] }, options);
    await w.clock.advance(3_000);
    const renewed = await manager.load(token);
    renewed.set('cart', ['book', 'pen']); // a write moves the idle expiry to the deadline
    await manager.commit(renewed);
    await w.clock.advance(2_500);
    const session = await manager.load(token); // loaded 500 ms before the deadline
    expect(session.isNew).toBe(false);
    await w.clock.advance(600); // the request ran past it
    session.regenerate();
    expect(await manager.commit(session)).toEqual({ clear: true });
    expect(w.spy.calls.some((c) => c.op === 'create' && c.id !== id)).toBe(false);
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
    // No retries: the logout must end the save, not a conflict.
    const { manager, token, id } = await started(w, undefined, { conflictRetries: 0 });
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
    expect(slow.isModified).toBe(false);
    expect(await manager.commit(slow)).toBeNull();
  });

  rule('regenerate keeps a user another request set meanwhile, unless it sets one', async (w) => {
    const { manager, token } = await started(w);
    const rotating = await manager.load(token);
    const other = await w.manager().load(token);
    other.userId = 'bob';
    await w.manager().commit(other);
    rotating.regenerate();
    const kept = tokenOf(await manager.commit(rotating));
    expect((await manager.load(kept)).userId).toBe('bob');

    const login = await manager.load(kept);
    const again = await w.manager().load(kept);
    again.userId = 'carol';
    await w.manager().commit(again);
    login.regenerate();
    login.userId = 'alice';
    const alice = tokenOf(await manager.commit(login));
    expect((await manager.load(alice)).userId).toBe('alice');
  });

  rule('regenerate moves the session even when the old record became unreadable', async (w) => {
    const { manager, token, id } = await started(w);
    const rotating = await manager.load(token);
    const stored = await w.store.get(id);
    // Another writer left something this codec cannot read.
    const written = await w.store.update(id, {
      data: 'not a session',
      expiresAt: stored?.expiresAt as number,
    });
    expect(written.ok).toBe(true);
    rotating.regenerate();
    rotating.set('step', 'login');
    const fresh = tokenOf(await manager.commit(rotating));
    const after = await manager.load(fresh);
    expect([after.get('cart'), after.get('step')]).toEqual([['book'], 'login']);
    expect(await w.store.get(id)).toBeNull();
  });
}
