import { sessionIdOf } from '@sess/core';
import { expect } from 'vitest';
import { type Rule, tokenOf, type World } from './harness.js';

// Short enough to run on real time against stores with native expiry, and
// wide enough for a one-second expiry resolution.
const IDLE = 4_000;
const ABSOLUTE = 10_000;

function managerOf(w: World) {
  return w.manager({ idleTimeoutMs: IDLE, absoluteTimeoutMs: ABSOLUTE });
}

async function storedExpiry(w: World, token: string): Promise<number | undefined> {
  return (await w.store.get(sessionIdOf(token)))?.expiresAt;
}

/**
 * A manager on a clock of its own, which only the test moves: the store's
 * clock stays behind, as a store's does when it lags the application's, so
 * the store still holds what the manager must treat as expired.
 */
function aheadOfTheStore(w: World, options: { idleTimeoutMs: number; absoluteTimeoutMs: number }) {
  const clock = { now: w.clock.now() };
  const manager = w.manager({ ...options, now: () => clock.now });
  return { manager, clock };
}

function expectClose(actual: number | undefined, expected: number, w: World): void {
  expect(actual).toBeDefined();
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(
    w.store.capabilities.ttlResolutionMs,
  );
}

/** Idle timeout (sliding), absolute lifetime, throttled renewal; cookie and store agree. */
export function expiryRules(rule: Rule): void {
  rule('the cookie expiry is the stored expiry: idle window from the last write', async (w) => {
    const manager = managerOf(w);
    const session = await manager.load(undefined);
    session.set('a', 1);
    const before = w.clock.now();
    const cookie = await manager.commit(session);
    const token = tokenOf(cookie);
    const { expiresAt } = cookie as { expiresAt: number };
    expect(expiresAt).toBeGreaterThanOrEqual(before + IDLE);
    expect(expiresAt).toBeLessThanOrEqual(w.clock.now() + IDLE);
    expectClose(await storedExpiry(w, token), expiresAt, w);
    expect(session.expiresAt).toBe(expiresAt);

    await w.clock.advance(1_000);
    const loaded = await manager.load(token);
    loaded.set('a', 2);
    const updated = (await manager.commit(loaded)) as { expiresAt: number };
    expect(updated.expiresAt).toBeGreaterThan(expiresAt);
    expectClose(await storedExpiry(w, token), updated.expiresAt, w);
  });

  rule('created-at and the absolute deadline are kept in the record envelope', async (w) => {
    const manager = managerOf(w);
    const session = await manager.load(undefined);
    session.set('a', 1);
    const token = tokenOf(await manager.commit(session));
    const data = (await w.store.get(sessionIdOf(token)))?.data ?? '';
    const [version, format, created, absolute] = data.slice(0, data.indexOf('\n')).split(' ');
    expect(version).toBe('sess/1');
    expect(format).toBe('tjson/1');
    expect(Number(created)).toBe(session.createdAt);
    expect(Number(absolute)).toBe(session.createdAt + ABSOLUTE);
    expect((await manager.load(token)).createdAt).toBe(session.createdAt);
  });

  rule('a session idle past its timeout is gone', async (w) => {
    const manager = managerOf(w);
    const session = await manager.load(undefined);
    session.set('a', 1);
    const token = tokenOf(await manager.commit(session));
    await w.clock.advance(IDLE + 1_500);
    const loaded = await manager.load(token);
    expect(loaded.isNew).toBe(true);
    expect(loaded.get('a')).toBeUndefined();
  });

  rule(
    'an unchanged session is touched only when less than half the idle window is left',
    async (w) => {
      const manager = managerOf(w);
      const session = await manager.load(undefined);
      session.set('a', 1);
      const token = tokenOf(await manager.commit(session));

      await w.clock.advance(IDLE * 0.25);
      w.spy.reset();
      expect(await manager.commit(await manager.load(token))).toBeNull();
      expect(w.spy.callCount('touch')).toBe(0);

      await w.clock.advance(IDLE * 0.4); // 65% of the window used, 35% left
      const due = await manager.load(token);
      const before = w.clock.now();
      const cookie = (await manager.commit(due)) as { token: string; expiresAt: number };
      expect(w.spy.callCount('touch')).toBe(1);
      expect(w.spy.callCount('update')).toBe(0);
      expect(cookie.token).toBe(token);
      expect(cookie.expiresAt).toBeGreaterThanOrEqual(before + IDLE);
      expectClose(await storedExpiry(w, token), cookie.expiresAt, w);

      // Sliding: alive past the first window, thanks to the touch.
      await w.clock.advance(IDLE * 0.6);
      expect((await manager.load(token)).get('a')).toBe(1);
    },
  );

  rule('the absolute lifetime ends even a busy session, and caps every expiry', async (w) => {
    const manager = managerOf(w);
    const session = await manager.load(undefined);
    session.set('n', 0);
    const token = tokenOf(await manager.commit(session));
    const deadline = session.createdAt + ABSOLUTE;

    // Busy: a write every 40% of the idle window, until past the deadline.
    let last: { expiresAt: number } | null = null;
    for (let n = 1; w.clock.now() + IDLE * 0.4 < deadline; n++) {
      await w.clock.advance(IDLE * 0.4);
      const loaded = await manager.load(token);
      expect(loaded.isNew).toBe(false);
      loaded.set('n', n);
      last = (await manager.commit(loaded)) as { expiresAt: number };
      expect(last.expiresAt).toBeLessThanOrEqual(deadline);
      expect((await storedExpiry(w, token)) ?? 0).toBeLessThanOrEqual(
        deadline + w.store.capabilities.ttlResolutionMs,
      );
    }
    expect(last?.expiresAt).toBe(deadline);
    await w.clock.advance(deadline - w.clock.now() + 1_500);
    expect((await manager.load(token)).isNew).toBe(true);
  });

  rule('a session loaded before its absolute deadline and committed after it ends', async (w) => {
    const manager = managerOf(w);
    const session = await manager.load(undefined);
    session.set('a', 1);
    const token = tokenOf(await manager.commit(session));
    const deadline = session.createdAt + ABSOLUTE;
    // Kept alive by a write every 40% of the idle window: each one restarts
    // the window, so on real time a stalled step still has 60% of it to spare
    // (a touch is due only past half the window, which would leave 10%).
    for (let n = 2; w.clock.now() + IDLE * 0.4 < deadline; n++) {
      await w.clock.advance(IDLE * 0.4);
      const active = await manager.load(token);
      expect(active.isNew).toBe(false);
      active.set('n', n);
      await manager.commit(active);
    }
    const loaded = await manager.load(token);
    expect(loaded.isNew).toBe(false);
    await w.clock.advance(loaded.createdAt + ABSOLUTE - w.clock.now());
    loaded.set('a', 2);
    expect(await manager.commit(loaded)).toEqual({ clear: true });
    expect(await w.store.get(sessionIdOf(token))).toBeNull();
  });

  rule(
    'a session ends at its stored expiry to the millisecond, by the manager clock',
    async (w) => {
      const { manager, clock } = aheadOfTheStore(w, {
        idleTimeoutMs: 60_000,
        absoluteTimeoutMs: 600_000,
      });
      const session = await manager.load(undefined);
      session.set('a', 1);
      const token = tokenOf(await manager.commit(session));
      const expiresAt = (await storedExpiry(w, token)) as number;

      clock.now = expiresAt - 1;
      expect((await manager.load(token)).get('a')).toBe(1);
      clock.now = expiresAt;
      const ended = await manager.load(token);
      expect(ended.isNew).toBe(true);
      expect(ended.get('a')).toBeUndefined();
    },
  );

  rule(
    'a session ends at its absolute deadline to the millisecond, even when its stored expiry is later',
    async (w) => {
      const { manager, clock } = aheadOfTheStore(w, {
        idleTimeoutMs: 60_000,
        absoluteTimeoutMs: 120_000,
      });
      const session = await manager.load(undefined);
      session.set('a', 1);
      const token = tokenOf(await manager.commit(session));
      const deadline = session.createdAt + 120_000;
      // An expiry past the deadline, as a store rounding up or a touch from a tool leaves it.
      expect(await w.store.touch(sessionIdOf(token), deadline + 60_000)).toBe(true);

      clock.now = deadline - 1;
      expect((await manager.load(token)).get('a')).toBe(1);
      clock.now = deadline;
      expect((await manager.load(token)).isNew).toBe(true);
    },
  );

  for (const request of ['writes', 'regenerates', 'logs out'] as const) {
    rule(
      `a request that ${request} past the absolute deadline destroys the session the store still holds`,
      async (w) => {
        const { manager, clock } = aheadOfTheStore(w, {
          idleTimeoutMs: 60_000,
          absoluteTimeoutMs: 120_000,
        });
        const session = await manager.load(undefined);
        session.set('a', 1);
        const token = tokenOf(await manager.commit(session));
        const loaded = await manager.load(token);
        expect(loaded.isNew).toBe(false);

        clock.now = session.createdAt + 120_000; // the request ran past the deadline
        if (request === 'writes') loaded.set('a', 2);
        else if (request === 'regenerates') loaded.regenerate();
        else loaded.destroy();
        w.spy.reset();
        expect(await manager.commit(loaded)).toEqual({ clear: true });
        expect(w.spy.callCount('create')).toBe(0);
        expect(await w.store.get(sessionIdOf(token))).toBeNull();
        expect(loaded.isNew).toBe(true);
      },
    );
  }

  rule('renewal is due once strictly less than renewWhenRemainingMs is left', async (w) => {
    const { manager, clock } = aheadOfTheStore(w, {
      idleTimeoutMs: 60_000,
      absoluteTimeoutMs: 600_000,
    });
    const session = await manager.load(undefined);
    session.set('a', 1);
    const token = tokenOf(await manager.commit(session));
    const expiresAt = session.expiresAt as number;

    clock.now = expiresAt - 30_000; // exactly half the window left: not yet
    w.spy.reset();
    expect(await manager.commit(await manager.load(token))).toBeNull();
    clock.now += 1;
    const cookie = await manager.commit(await manager.load(token));
    expect(cookie).toEqual({ token, expiresAt: clock.now + 60_000 });
    expect(w.spy.callCount('touch')).toBe(1);
  });
}
