import { type SessionStore, sessionIdOf, UnsupportedOperationError } from '@sess/core';
import { expect } from 'vitest';
import { parallel, type Rule, tokenOf, type World } from './harness.js';

async function signedIn(w: World, userId: string, data: Record<string, unknown> = {}) {
  const manager = w.manager();
  const session = await manager.load(undefined);
  session.userId = userId;
  for (const [key, value] of Object.entries(data)) session.set(key, value);
  const token = tokenOf(await manager.commit(session));
  return { token, session };
}

/** The same store with the users capability hidden, as a store without it looks. */
function withoutUsers(store: SessionStore): SessionStore {
  return {
    capabilities: { ...store.capabilities, users: false },
    get: (id) => store.get(id),
    create: (id, record) => store.create(id, record),
    update: (id, record, options) => store.update(id, record, options),
    touch: (id, expiresAt) => store.touch(id, expiresAt),
    destroy: (id) => store.destroy(id),
    // The methods may be there; without the capability declared, they are not used.
    ...(store.list ? { list: (options) => store.list?.(options) ?? Promise.reject() } : {}),
    ...(store.destroyByUser
      ? {
          destroyByUser: (userId, options) =>
            store.destroyByUser?.(userId, options) ?? Promise.reject(),
        }
      : {}),
    close: async () => {},
  };
}

/** Per-user listing and "log out everywhere else". */
export function userRules(rule: Rule): void {
  const usersRule: Rule = (name, body) =>
    rule(name, async (w, skip) => {
      if (!w.store.capabilities.users || !w.store.capabilities.list) {
        return skip('the store does not declare the users and list capabilities');
      }
      await body(w, skip);
    });

  usersRule('listForUser lists the live sessions of one user, oldest first', async (w) => {
    const manager = w.manager();
    const mine: string[] = [];
    for (let i = 0; i < 3; i++) {
      mine.push((await signedIn(w, 'alice', { device: `d${i}` })).session.id as string);
      await w.clock.advance(10);
    }
    await signedIn(w, 'bob');
    await signedIn(w, 'alice2');

    const listed = await manager.listForUser('alice');
    expect(listed.map((s) => s.id)).toEqual(mine);
    for (const info of listed) {
      expect(info.userId).toBe('alice');
      expect(info.expiresAt).toBeGreaterThan(w.clock.now());
      expect(info.absoluteExpiresAt).toBe(info.createdAt + manager.policy.absoluteTimeoutMs);
      expect(info.data).toBeUndefined();
    }
    const withData = await manager.listForUser('alice', { includeData: true });
    expect(withData.map((s) => s.data)).toEqual([
      { device: 'd0' },
      { device: 'd1' },
      { device: 'd2' },
    ]);
    expect(await manager.listForUser('nobody')).toEqual([]);
  });

  usersRule('listForUser pages through every session of the user', async (w) => {
    await parallel(130, () => signedIn(w, 'alice'));
    expect(await w.manager().listForUser('alice')).toHaveLength(130);
    expect(w.spy.callCount('list')).toBeGreaterThan(1);
    // Only the user's sessions are listed, not every session in the store.
    const pages = w.spy.calls.filter((c) => c.op === 'list');
    expect(pages.every((c) => (c.options as { userId?: string }).userId === 'alice')).toBe(true);
  });

  usersRule('destroyForUser with except logs out every other session of the user', async (w) => {
    const manager = w.manager();
    const here = await signedIn(w, 'alice');
    const others = await parallel(3, () => signedIn(w, 'alice'));
    const bob = await signedIn(w, 'bob');

    const current = await manager.load(here.token);
    expect(await manager.destroyForUser('alice', { except: current })).toBe(3);
    for (const other of others) expect((await manager.load(other.token)).isNew).toBe(true);
    expect((await manager.load(here.token)).userId).toBe('alice');
    expect((await manager.load(bob.token)).userId).toBe('bob');
    expect((await manager.listForUser('alice')).map((s) => s.id)).toEqual([current.id]);

    expect(await manager.destroyForUser('alice')).toBe(1);
    expect((await manager.load(here.token)).isNew).toBe(true);
  });

  rule('without the users capability both calls throw UnsupportedOperationError', async (w) => {
    const manager = w.manager({ store: withoutUsers(w.store) });
    await expect(manager.listForUser('alice')).rejects.toBeInstanceOf(UnsupportedOperationError);
    await expect(manager.listForUser('alice')).rejects.toThrow('listForUser');
    await expect(manager.destroyForUser('alice')).rejects.toBeInstanceOf(UnsupportedOperationError);
    await expect(manager.destroyForUser('alice')).rejects.toThrow('destroyForUser');
  });

  usersRule(
    'listForUser leaves out sessions that ended or changed owner while it ran',
    async (w) => {
      const manager = w.manager();
      const kept = await signedIn(w, 'alice');
      const ended = await signedIn(w, 'alice');
      const moved = await signedIn(w, 'alice');
      // The listing has its ids and is about to read the sessions.
      const reads = [w.spy.hold('get'), w.spy.hold('get'), w.spy.hold('get')];
      const listing = manager.listForUser('alice');
      await Promise.all(reads.map((read) => read.reached));

      const logout = await w.manager().load(ended.token);
      logout.destroy();
      await w.manager().commit(logout);
      const handover = await w.manager().load(moved.token);
      handover.userId = 'bob';
      await w.manager().commit(handover);

      for (const read of reads) read.release();
      expect((await listing).map((s) => s.id)).toEqual([kept.session.id]);
    },
  );

  usersRule('destroyForUser takes the session to keep as a session or as its id', async (w) => {
    const manager = w.manager();
    const here = await signedIn(w, 'alice');
    await signedIn(w, 'alice');
    expect(await manager.destroyForUser('alice', { except: here.session.id as string })).toBe(1);
    expect((await manager.listForUser('alice')).map((s) => s.id)).toEqual([here.session.id]);
    expect(await manager.destroyForUser('alice', { except: here.session })).toBe(0);
    expect(await manager.destroyForUser('alice', {})).toBe(1);
    expect(await manager.listForUser('alice')).toEqual([]);
  });

  usersRule('listForUser leaves out records of the user that are not sessions', async (w) => {
    const { session } = await signedIn(w, 'alice');
    // Written by something else sharing the store, under the same user.
    const foreign = sessionIdOf(`not a session token ${w.clock.now()}`);
    const written = await w.store.create(foreign, {
      data: 'not a session',
      expiresAt: w.clock.now() + 60_000,
      userId: 'alice',
    });
    expect(written.ok).toBe(true);
    expect((await w.manager().listForUser('alice')).map((s) => s.id)).toEqual([session.id]);
  });

  usersRule(
    'sessions created in the same millisecond are listed in the order of their ids',
    async (w) => {
      const at = w.clock.now();
      const manager = w.manager({ now: () => at });
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const session = await manager.load(undefined);
        session.userId = 'alice';
        await manager.commit(session);
        ids.push(session.id as string);
      }
      expect((await manager.listForUser('alice')).map((s) => s.id)).toEqual([...ids].sort());
    },
  );
}
