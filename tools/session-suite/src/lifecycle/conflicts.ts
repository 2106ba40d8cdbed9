import {
  SessionConflictError,
  type SessionManager,
  type SessionRecord,
  type SessionStore,
  sessionIdOf,
} from '@sess/core';
import { expect } from 'vitest';
import { parallel, type Rule, tokenOf, type World } from './harness.js';

async function started(w: World, data: Record<string, unknown>) {
  const manager = w.manager();
  const session = await manager.load(undefined);
  for (const [key, value] of Object.entries(data)) session.set(key, value);
  return tokenOf(await manager.commit(session));
}

/**
 * 50 requests on one session, all loaded before any commits (the worst
 * interleaving), each running `change`. `managers` picks one manager (one
 * process) or one per request (50 processes racing on ifVersion).
 */
async function race(
  w: World,
  token: string,
  managers: 'one' | 'many',
  change: (session: Awaited<ReturnType<SessionManager['load']>>, i: number) => void,
  options: Parameters<World['manager']>[0] = {},
) {
  // Each conflict a request meets is another request's successful write, so
  // among 50 writers no request can conflict more than 49 times: with 49
  // retries none may fail, however the writes interleave. (In one process,
  // commits of a session queue up and each needs at most one retry.)
  options = managers === 'many' ? { conflictRetries: 49, ...options } : options;
  const shared = w.manager(options);
  const pick = () => (managers === 'one' ? shared : w.manager(options));
  const requests = await parallel(50, async () => {
    const manager = pick();
    return { manager, session: await manager.load(token) };
  });
  return parallel(50, async (i) => {
    const { manager, session } = requests[i] as (typeof requests)[number];
    change(session, i);
    return manager.commit(session);
  });
}

/**
 * The store, with another writer getting in first before every
 * compare-and-set write to `id`: it rewrites the record as it stands, so each
 * such write of the manager meets a newer version. Counts those writes and
 * the ids the manager creates.
 */
function contended(store: SessionStore, id: string) {
  const seen = { writes: 0, created: [] as string[] };
  const wrapped: SessionStore = {
    capabilities: store.capabilities,
    get: (target) => store.get(target),
    create: (target, record) => {
      seen.created.push(target);
      return store.create(target, record);
    },
    async update(target, record, options) {
      if (target === id && options?.ifVersion !== undefined) {
        seen.writes++;
        const current = await store.get(id);
        if (current) await store.update(id, recordOf(current));
      }
      return store.update(target, record, options);
    },
    touch: (target, expiresAt) => store.touch(target, expiresAt),
    destroy: (target) => store.destroy(target),
    close: async () => {},
  };
  return { store: wrapped, seen };
}

function recordOf(stored: SessionRecord): SessionRecord {
  const { data, expiresAt, userId } = stored;
  return userId === undefined ? { data, expiresAt } : { data, expiresAt, userId };
}

/** No lost updates: conflicts re-read, re-apply this request's keys, retry. */
export function conflictRules(rule: Rule): void {
  for (const managers of ['one', 'many'] as const) {
    const where = managers === 'one' ? 'in one process' : 'across processes';
    rule(`50 parallel requests each setting its own key all land (${where})`, async (w) => {
      const token = await started(w, { base: true });
      const results = await race(w, token, managers, (session, i) => session.set(`k${i}`, i));
      for (const result of results) expect(tokenOf(result)).toBe(token);
      const after = await w.manager().load(token);
      expect(after.keys()).toHaveLength(51);
      for (let i = 0; i < 50; i++) expect(after.get(`k${i}`)).toBe(i);
      expect(after.get('base')).toBe(true);
    });

    rule(
      `50 parallel increments of one key: last writer wins for that key (${where})`,
      async (w) => {
        const token = await started(w, { count: 0 });
        await race(w, token, managers, (session) => {
          session.set('count', (session.get('count') as number) + 1);
        });
        // Every request read 0 and wrote 1: without a merge hook the value of a
        // key is the last writer's, and no write is refused.
        expect((await w.manager().load(token)).get('count')).toBe(1);
      },
    );

    rule(`50 parallel update() increments of one key give exactly +50 (${where})`, async (w) => {
      const token = await started(w, { n: 7 });
      const results = await race(w, token, managers, (session) => {
        session.update('n', (n) => ((n as number | undefined) ?? 0) + 1);
      });
      for (const result of results) expect(tokenOf(result)).toBe(token);
      expect((await w.manager().load(token)).get('n')).toBe(57);
    });

    rule(`50 parallel increments with a merge hook all count (${where})`, async (w) => {
      const token = await started(w, { count: 0 });
      await race(
        w,
        token,
        managers,
        (session) => session.set('count', (session.get('count') as number) + 1),
        {
          merge: ({ key, base, ours, theirs }) =>
            key === 'count' ? (theirs as number) + ((ours as number) - (base as number)) : ours,
        },
      );
      expect((await w.manager().load(token)).get('count')).toBe(50);
    });
  }

  rule('a merge keeps keys the request did not touch and re-applies its deletes', async (w) => {
    const token = await started(w, { a: 1, b: 2, c: 3 });
    const one = w.manager();
    const two = w.manager();
    const first = await one.load(token);
    const second = await two.load(token);
    first.set('a', 10);
    first.delete('b');
    second.set('c', 30);
    second.set('d', 40);
    second.userId = 'alice';
    await two.commit(second);
    await one.commit(first); // conflicts, re-reads, re-applies a and b only

    const after = await w.manager().load(token);
    expect(Object.fromEntries(after.keys().map((k) => [k, after.get(k)]))).toEqual({
      a: 10,
      c: 30,
      d: 40,
    });
    expect(after.userId).toBe('alice');
    expect(first.get('d')).toBe(40); // the request's view now matches the store
    expect(first.has('b')).toBe(false);
  });

  rule(
    'update() re-runs on the fresh value; a set in the same commit stays last-writer',
    async (w) => {
      const token = await started(w, { n: 0, label: 'start', cart: ['a'] });
      const one = w.manager();
      const two = w.manager();
      const first = await one.load(token);
      const second = await two.load(token);
      first.set('label', 'first');
      first.update('n', (n) => (n as number) + 1);
      first.update('n', (n) => (n as number) * 10); // composes: (n + 1) * 10
      first.update('cart', (cart) => [...(cart as string[]), 'b']);
      second.set('label', 'second');
      second.update('n', (n) => (n as number) + 5);
      second.update('cart', (cart) => [...(cart as string[]), 'c']);
      expect(first.get('n')).toBe(10); // applied at once, on the loaded value
      await two.commit(second);
      await one.commit(first); // conflicts: re-reads n = 5, re-runs (5 + 1) * 10

      const after = await w.manager().load(token);
      expect(after.get('n')).toBe(60);
      expect(after.get('cart')).toEqual(['a', 'c', 'b']);
      expect(after.get('label')).toBe('first'); // the set: this request's value, last writer
      expect(first.get('n')).toBe(60); // the request's view is what was stored
    },
  );

  rule('update() is not handed to the merge hook; set keys still are', async (w) => {
    const token = await started(w, { n: 0, s: 0 });
    const seen: string[] = [];
    const options = {
      merge: ({ key, ours }: { key: string; ours: unknown }) => {
        seen.push(key);
        return ours;
      },
    };
    const one = w.manager(options);
    const first = await one.load(token);
    const second = await w.manager().load(token);
    first.update('n', (n) => (n as number) + 1);
    first.set('s', 1);
    second.update('n', (n) => (n as number) + 1);
    await w.manager().commit(second);
    await one.commit(first);
    expect(seen).toEqual(['s']);
    expect((await w.manager().load(token)).get('n')).toBe(2);
  });

  rule(
    'retries are bounded: past conflictRetries the commit fails with SessionConflictError',
    async (w) => {
      const token = await started(w, { a: 0 });
      const loser = w.manager({ conflictRetries: 0 });
      const stale = await loser.load(token);
      const winner = await w.manager().load(token);
      winner.set('a', 1);
      await w.manager().commit(winner);

      stale.set('a', 2);
      const error = await loser.commit(stale).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SessionConflictError);
      expect((error as SessionConflictError).code).toBe('SESS_CONFLICT');
      expect((await w.manager().load(token)).get('a')).toBe(1);

      // With a retry allowed, the same save goes through.
      const patient = w.manager({ conflictRetries: 1 });
      const again = await patient.load(token);
      const meanwhile = await w.manager().load(token);
      meanwhile.set('b', 1);
      await w.manager().commit(meanwhile);
      again.set('a', 3);
      await patient.commit(again);
      const after = await w.manager().load(token);
      expect([after.get('a'), after.get('b')]).toEqual([3, 1]);
    },
  );

  for (const path of ['an update', 'a regenerate'] as const) {
    rule(
      `conflictRetries bounds ${path}: the first write and that many retries, then SessionConflictError`,
      async (w) => {
        const token = await started(w, { cart: ['book'] });
        const id = sessionIdOf(token);
        const { store, seen } = contended(w.store, id);
        const manager = w.manager({ store, conflictRetries: 2 });
        const session = await manager.load(token);
        session.set('cart', []);
        if (path === 'a regenerate') session.regenerate();

        const error = await manager.commit(session).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SessionConflictError);
        expect((error as Error).message).toContain('after 3 attempts');
        expect(seen.writes).toBe(3);
        // Nothing of the failed request is left: the session stands as it was,
        // and a regenerate removed the record it had written under a new token.
        expect((await w.manager().load(token)).get('cart')).toEqual(['book']);
        for (const created of seen.created) expect(await w.store.get(created)).toBeNull();
      },
    );
  }

  rule('the merge hook is called only for keys another request changed too', async (w) => {
    const token = await started(w, { a: 1, b: 1 });
    const merged: string[] = [];
    const manager = w.manager({
      merge: ({ key, ours }) => {
        merged.push(key);
        return ours;
      },
    });
    // No concurrent writer: a save and a regenerate merge nothing.
    const alone = await manager.load(token);
    alone.set('a', 2);
    await manager.commit(alone);
    const login = await manager.load(token);
    login.set('b', 2);
    login.regenerate();
    const rotated = tokenOf(await manager.commit(login));
    expect(merged).toEqual([]);

    // A concurrent writer of `a`: the regenerate merges `a`, the key it changed too.
    const rotating = await manager.load(rotated);
    const other = await w.manager().load(rotated);
    other.set('a', 3);
    await w.manager().commit(other);
    rotating.set('a', 4);
    rotating.regenerate();
    const after = await manager.load(tokenOf(await manager.commit(rotating)));
    expect(merged).toEqual(['a']);
    expect([after.get('a'), after.get('b')]).toEqual([4, 2]);
  });

  rule('a save that meets a record it cannot read fails with SessionConflictError', async (w) => {
    const token = await started(w, { a: 1 });
    const id = sessionIdOf(token);
    const manager = w.manager();
    const slow = await manager.load(token);
    const stored = await w.store.get(id);
    const written = await w.store.update(id, {
      data: 'not a session',
      expiresAt: stored?.expiresAt as number,
    });
    expect(written.ok).toBe(true);
    slow.set('a', 2);
    const error = await manager.commit(slow).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionConflictError);
    expect((error as Error).message).toContain('cannot read');
    expect((await w.store.get(id))?.data).toBe('not a session');
  });
}
