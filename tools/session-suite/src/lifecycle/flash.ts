import { expect } from 'vitest';
import { parallel, type Rule, tokenOf, type World } from './harness.js';

async function withFlash(w: World, value: unknown): Promise<string> {
  const manager = w.manager();
  const session = await manager.load(undefined);
  session.set('user', 'alice');
  session.flash('notice', value);
  return tokenOf(await manager.commit(session));
}

/** Flash values: kept for exactly one later read, even when requests race for it. */
export function flashRules(rule: Rule): void {
  rule(
    'a flash value is read once: the next request takes it, later ones find nothing',
    async (w) => {
      const token = await withFlash(w, { text: 'Saved.', at: new Date(0) });
      const manager = w.manager();

      const next = await manager.load(token);
      expect(next.keys()).toEqual(['user']); // flash values are not data keys
      expect(await next.takeFlash('notice')).toEqual({ text: 'Saved.', at: new Date(0) });
      expect(await next.takeFlash('notice')).toBeUndefined();
      await manager.commit(next);

      const later = await manager.load(token);
      expect(await later.takeFlash('notice')).toBeUndefined();
      expect(later.get('user')).toBe('alice');
    },
  );

  rule('a flash value set and taken in one request never reaches the store', async (w) => {
    const manager = w.manager();
    const session = await manager.load(undefined);
    session.set('a', 1);
    session.flash('notice', 'here');
    expect(await session.takeFlash('notice')).toBe('here');
    const token = tokenOf(await manager.commit(session));
    expect(await (await manager.load(token)).takeFlash('notice')).toBeUndefined();
  });

  rule('taking from a session that holds no flash value calls no store', async (w) => {
    const manager = w.manager();
    const session = await manager.load(undefined);
    session.set('a', 1);
    const token = tokenOf(await manager.commit(session));
    const loaded = await manager.load(token);
    w.spy.reset();
    expect(await loaded.takeFlash('notice')).toBeUndefined();
    expect(w.spy.callCount()).toBe(0);
  });

  for (const racers of [2, 10]) {
    rule(`${racers} requests racing to take one flash value: exactly one gets it`, async (w) => {
      const token = await withFlash(w, 'once');
      // One manager per request: processes racing on compare-and-set.
      const managers = Array.from({ length: racers }, () =>
        w.manager({ conflictRetries: racers + 1 }),
      );
      const sessions = await parallel(racers, (i) =>
        (managers[i] as (typeof managers)[0]).load(token),
      );
      const taken = await parallel(racers, async (i) => {
        const session = sessions[i] as (typeof sessions)[0];
        const value = await session.takeFlash('notice');
        session.set(`seen${i}`, value ?? null);
        await (managers[i] as (typeof managers)[0]).commit(session);
        return value;
      });
      expect(taken.filter((value) => value === 'once')).toHaveLength(1);
      expect(taken.filter((value) => value === undefined)).toHaveLength(racers - 1);

      const after = await w.manager().load(token);
      expect(await after.takeFlash('notice')).toBeUndefined();
      for (let i = 0; i < racers; i++) expect(after.has(`seen${i}`)).toBe(true); // no write lost
    });
  }

  rule('taking a flash value keeps what another request wrote meanwhile', async (w) => {
    const token = await withFlash(w, 'hello');
    const manager = w.manager();
    const mine = await manager.load(token);
    mine.set('mine', 1);
    const other = await w.manager().load(token);
    other.set('other', 2);
    await w.manager().commit(other);

    expect(await mine.takeFlash('notice')).toBe('hello');
    await manager.commit(mine);
    const after = await w.manager().load(token);
    expect([after.get('mine'), after.get('other'), after.get('user')]).toEqual([1, 2, 'alice']);
    expect(await after.takeFlash('notice')).toBeUndefined();
  });
}
