import { InvalidOptionError, sessionIdOf } from '@sess/core';
import { expect } from 'vitest';
import { type Rule, tokenOf, type World } from './harness.js';

// As in the expiry rules: short enough for real time, wide enough for a
// one-second expiry resolution.
const IDLE = 4_000;
const ABSOLUTE = 10_000;
const options = {
  idleTimeoutMs: IDLE,
  absoluteTimeoutMs: ABSOLUTE,
  maxIdleTimeoutMs: 3 * IDLE,
  maxAbsoluteTimeoutMs: 3 * ABSOLUTE,
};

type Cookie = { token: string; expiresAt: number; persistent?: false };

function expectNear(actual: number | undefined, from: number, to: number, w: World): void {
  const slack = w.store.capabilities.ttlResolutionMs;
  expect(actual).toBeGreaterThanOrEqual(from - slack);
  expect(actual).toBeLessThanOrEqual(to + slack);
}

async function stored(w: World, token: string) {
  return w.store.get(sessionIdOf(token));
}

/** A lifetime per session: stored with it, kept by every later load, renewal and cookie. */
export function lifetimeRules(rule: Rule): void {
  rule(
    'remember me: a longer lifetime of its own outlives the manager-wide idle timeout',
    async (w) => {
      const manager = w.manager(options);
      const remembered = await manager.load(undefined);
      remembered.set('user', 'alice');
      remembered.setLifetime({ idleTimeoutMs: 3 * IDLE, absoluteTimeoutMs: 3 * ABSOLUTE });
      const ordinary = await manager.load(undefined);
      ordinary.set('user', 'bob');
      const before = w.clock.now();
      const cookie = (await manager.commit(remembered)) as Cookie;
      const control = tokenOf(await manager.commit(ordinary));
      expectNear(cookie.expiresAt, before + 3 * IDLE, w.clock.now() + 3 * IDLE, w);
      expect(cookie.persistent).toBeUndefined();
      expectNear((await stored(w, cookie.token))?.expiresAt, cookie.expiresAt, cookie.expiresAt, w);

      await w.clock.advance(IDLE + 1_500);
      // Another process, the same options: the lifetime came with the record.
      const later = w.manager(options);
      expect((await later.load(control)).isNew).toBe(true); // the manager's 4 s idle ended it
      const loaded = await later.load(cookie.token);
      expect(loaded.get('user')).toBe('alice');
      loaded.set('seen', 2);
      const at = w.clock.now();
      const renewed = (await later.commit(loaded)) as Cookie;
      expectNear(renewed.expiresAt, at + 3 * IDLE, w.clock.now() + 3 * IDLE, w);
      const data = (await stored(w, cookie.token))?.data ?? '';
      expect(Number(data.split(' ')[3])).toBe(remembered.createdAt + 3 * ABSOLUTE);
    },
  );

  rule(
    'persistent: false gives a browser-session cookie and a short idle, request after request',
    async (w) => {
      // The manager idles sessions out after 8 s; this one asks for 4 s.
      const longer = { ...options, idleTimeoutMs: 2 * IDLE };
      const manager = w.manager(longer);
      const first = await manager.load(undefined);
      first.set('cart', ['book']);
      const token = tokenOf(await manager.commit(first));

      // Login without "remember me": the lifetime alone is a change to save.
      const login = await manager.load(token);
      login.setLifetime({ persistent: false, idleTimeoutMs: IDLE });
      expect(manager.commitDue(login)).toBe(true);
      const cookie = (await manager.commit(login)) as Cookie;
      expect(cookie).toMatchObject({ token, persistent: false });

      // Renewal: past half of its own window, an unchanged request touches.
      await w.clock.advance(IDLE * 0.65);
      const idle = await w.manager(longer).load(token);
      expect(idle.persistent).toBe(false);
      w.spy.reset();
      const at = w.clock.now();
      const touched = (await w.manager(longer).commit(idle)) as Cookie;
      expect(w.spy.callCount('touch')).toBe(1);
      expect(touched.persistent).toBe(false);
      expectNear(touched.expiresAt, at + IDLE, w.clock.now() + IDLE, w);

      const changed = await w.manager(longer).load(token);
      changed.set('cart', ['book', 'pen']);
      expect(await w.manager(longer).commit(changed)).toMatchObject({ token, persistent: false });

      // Its own idle timeout ends it, well before the manager's would.
      await w.clock.advance(IDLE + 1_500);
      expect((await w.manager(longer).load(token)).isNew).toBe(true);
    },
  );

  rule('a lifetime survives regenerate() and ends with destroy()', async (w) => {
    const manager = w.manager(options);
    const session = await manager.load(undefined);
    session.set('a', 1);
    session.setLifetime({ persistent: false });
    const token = tokenOf(await manager.commit(session));
    const loaded = await manager.load(token);
    loaded.regenerate();
    const rotated = (await manager.commit(loaded)) as Cookie;
    expect(rotated.token).not.toBe(token);
    expect(rotated.persistent).toBe(false);
    expect((await manager.load(rotated.token)).persistent).toBe(false);

    loaded.destroy();
    loaded.set('after', 'logout');
    const fresh = (await manager.commit(loaded)) as Cookie;
    expect(fresh.persistent).toBeUndefined();
    expect(loaded.persistent).toBe(true);
  });

  rule(
    'setLifetime refuses what the manager does not allow, and changes nothing then',
    async (w) => {
      const manager = w.manager({ idleTimeoutMs: IDLE, absoluteTimeoutMs: ABSOLUTE });
      const session = await manager.load(undefined);
      session.set('a', 1);
      for (const bad of [
        { idleTimeoutMs: IDLE + 1 }, // above the maximum, which defaults to the manager's timeout
        { absoluteTimeoutMs: ABSOLUTE + 1 },
        { idleTimeoutMs: 2_000, absoluteTimeoutMs: 1_000 }, // idle longer than absolute
        { idleTimeoutMs: 0 },
        { idleTimeoutMs: 1.5 },
        { persistent: 'no' },
        null,
      ]) {
        expect(() => session.setLifetime(bad as never), JSON.stringify(bad)).toThrow(
          InvalidOptionError,
        );
      }
      expect(session.persistent).toBe(true);
      const before = w.clock.now();
      const cookie = (await manager.commit(session)) as Cookie;
      expect(cookie.persistent).toBeUndefined();
      expectNear(cookie.expiresAt, before + IDLE, w.clock.now() + IDLE, w);
    },
  );
}
