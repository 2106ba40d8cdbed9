import { createHash } from 'node:crypto';
import { sessionIdOf } from '@sess/core';
import { expect } from 'vitest';
import { parallel, type Rule, tokenOf } from './harness.js';

/** Tokens: 256 random bits for the cookie, only their SHA-256 for the store. */
export function tokenRules(rule: Rule): void {
  rule('tokens are 256-bit base64url strings, a new one for every session', async (w) => {
    const manager = w.manager();
    const tokens = await parallel(200, async () => {
      const session = await manager.load(undefined);
      session.set('n', 1);
      return tokenOf(await manager.commit(session));
    });
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    }
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  rule('the store sees only the SHA-256 of the token, never the token', async (w) => {
    const manager = w.manager();
    const session = await manager.load(undefined);
    session.set('a', 1);
    session.userId = 'alice';
    const token = tokenOf(await manager.commit(session));

    const id = createHash('sha256').update(token).digest('base64url');
    expect(sessionIdOf(token)).toBe(id);
    expect(w.spy.calls.every((c) => c.id === id)).toBe(true);
    const stored = await w.store.get(id);
    expect(stored?.data).not.toContain(token);
    // The token is itself a valid id: nothing is stored under it.
    expect(await w.store.get(token)).toBeNull();
  });

  rule('a malformed token gives a fresh session without a store call', async (w) => {
    const manager = w.manager();
    const malformed = [
      '',
      'short',
      'x'.repeat(42),
      `${'x'.repeat(42)}=`,
      `${'x'.repeat(42)}.`,
      'x'.repeat(129),
      ' '.repeat(43),
      null,
      undefined,
      // What a cookie parser gives for a repeated cookie: its text would pass.
      ['x'.repeat(43)],
    ];
    for (const token of malformed) {
      const session = await manager.load(token as string | null | undefined);
      expect(session.isNew).toBe(true);
    }
    expect(w.spy.callCount()).toBe(0);
  });

  rule('an unknown token gives a fresh session that never adopts it', async (w) => {
    const manager = w.manager();
    const planted = Buffer.alloc(32, 7).toString('base64url');
    const session = await manager.load(planted);
    expect(session.isNew).toBe(true);
    expect(w.spy.calls.map((c) => c.op)).toEqual(['get']);
    session.set('a', 1);
    const token = tokenOf(await manager.commit(session));
    expect(token).not.toBe(planted);
    expect(await w.store.get(sessionIdOf(planted))).toBeNull();
  });
}
