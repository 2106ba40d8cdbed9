import { describe, expect, it } from 'vitest';
import { InvalidOptionError, MemoryStore, SessionManager } from '../../src/index.js';

describe('SessionManager options', () => {
  const store = new MemoryStore();

  it.each([
    ['no store', { store: undefined }],
    ['a zero idle timeout', { store, idleTimeoutMs: 0 }],
    ['a fractional absolute timeout', { store, absoluteTimeoutMs: 1.5 }],
    [
      'a renewal window beyond the idle window',
      { store, idleTimeoutMs: 10, renewWhenRemainingMs: 11 },
    ],
    ['negative retries', { store, conflictRetries: -1 }],
    ['a maximum idle timeout below the idle timeout', { store, maxIdleTimeoutMs: 1000 }],
    [
      'a maximum absolute timeout below the absolute timeout',
      { store, absoluteTimeoutMs: 10_000, maxAbsoluteTimeoutMs: 9_999 },
    ],
    ['a fractional maximum idle timeout', { store, maxIdleTimeoutMs: 86_400_000.5 }],
    ['tokens under 256 bits', { store, tokenBytes: 16 }],
    [
      'a codec format with a space',
      { store, codec: { format: 'my codec', encode: () => '', decode: () => ({}) } },
    ],
  ])('refuses %s with InvalidOptionError', (_, options) => {
    expect(() => new SessionManager(options as never)).toThrow(InvalidOptionError);
  });

  it.each([
    ['store', { store: undefined }],
    ['idleTimeoutMs', { store, idleTimeoutMs: 0 }],
    ['absoluteTimeoutMs', { store, absoluteTimeoutMs: 0 }],
    ['renewWhenRemainingMs', { store, renewWhenRemainingMs: -1 }],
    ['conflictRetries', { store, conflictRetries: 1.5 }],
    ['tokenBytes', { store, tokenBytes: 97 }],
  ])('the error for a bad %s names it', (name, options) => {
    expect(() => new SessionManager(options as never)).toThrow(name);
  });

  it('accepts the bounds: 1 ms windows, an idle window as long as the absolute one, renewal from 0 to the whole idle window', () => {
    for (const renewWhenRemainingMs of [0, 10]) {
      const manager = new SessionManager({
        store,
        idleTimeoutMs: 10,
        absoluteTimeoutMs: 10,
        renewWhenRemainingMs,
      });
      expect(manager.policy.renewWhenRemainingMs).toBe(renewWhenRemainingMs);
    }
    const shortest = new SessionManager({ store, idleTimeoutMs: 1, absoluteTimeoutMs: 1 });
    expect(shortest.policy.idleTimeoutMs).toBe(1);
    expect(shortest.policy.absoluteTimeoutMs).toBe(1);
  });

  it('defaults: 24 h idle, 7 days absolute, renewal in the second half of the window', () => {
    const { policy } = new SessionManager({ store });
    expect(policy.idleTimeoutMs).toBe(24 * 3_600_000);
    expect(policy.absoluteTimeoutMs).toBe(7 * 24 * 3_600_000);
    expect(policy.renewWhenRemainingMs).toBe(12 * 3_600_000);
  });

  it('longer tokens when asked', async () => {
    const manager = new SessionManager({ store, tokenBytes: 48 });
    const session = await manager.load(undefined);
    session.set('a', 1);
    const cookie = (await manager.commit(session)) as { token: string };
    expect(cookie.token).toHaveLength(64);
    expect((await manager.load(cookie.token)).get('a')).toBe(1);
  });
});
