import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionManager, sessionIdOf } from '@sess/core';
import { openStore } from '@sess/url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sess } from './helpers.js';

describe('stats, list, show, destroy, logout-user and sweep', () => {
  let dir: string;
  let url: string;
  const tokens: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sess-cli-sessions-'));
    url = `sqlite:${join(dir, 'app.db')}`;
    const opened = await openStore(url, { mode: 'create' });
    const manager = new SessionManager({ store: opened.store });
    for (let i = 0; i < 30; i++) {
      const session = await manager.load(undefined);
      session.set('email', `person${i}@example.com`);
      session.set('cart', ['book', 'lamp']);
      if (i < 10) session.userId = 'alice';
      const cookie = await manager.commit(session);
      if (!cookie || !('token' in cookie)) throw new Error('no cookie');
      tokens.push(cookie.token);
    }
    // Five already expired: they count nowhere, and the sweep removes them.
    const soon = Date.now() + 100;
    for (let i = 0; i < 5; i++) {
      await opened.store.create(`expired-${i}`, { data: 'x', expiresAt: soon });
    }
    while (Date.now() <= soon) await new Promise((resolve) => setTimeout(resolve, 20));
    await opened.close();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('stats counts live sessions, users, sizes and capabilities', async () => {
    const run = await sess(['stats', url, '--json']);
    expect(run.code).toBe(0);
    const stats = JSON.parse(run.stdout);
    expect(stats).toMatchObject({ live: 30, expiringWithinHour: 0, users: 1 });
    expect(stats.sizeBytes.max).toBeGreaterThan(0);
    expect(stats.capabilities).toMatchObject({ expiry: 'sweep', list: true, users: true });
    const text = await sess(['stats', url]);
    expect(text.stdout).toMatch(/^live +30$/m);
  });

  it('list pages ids, by user and up to a limit', async () => {
    const alice = JSON.parse((await sess(['list', url, '--user', 'alice', '--json'])).stdout);
    expect(alice).toHaveLength(10);
    expect(new Set(alice.map((row: { id: string }) => row.id)).size).toBe(10);
    expect(alice.every((row: { userId: string }) => row.userId === 'alice')).toBe(true);
    const three = JSON.parse((await sess(['list', url, '--limit', '3', '--json'])).stdout);
    expect(three).toHaveLength(3);
  });

  it('show masks values unless --reveal, and finds a session by its token', async () => {
    const token = tokens[15] as string;
    const id = sessionIdOf(token);
    const masked = await sess(['show', url, id]);
    expect(masked.code).toBe(0);
    expect(masked.stdout).toMatch(/^ {2}email +string of 20 characters$/m);
    expect(masked.stdout).not.toContain('person15@example.com');
    const revealed = JSON.parse(
      (await sess(['show', url, '--token', token, '--reveal', '--json'])).stdout,
    );
    expect(revealed).toMatchObject({
      id,
      data: { email: 'person15@example.com', cart: ['book', 'lamp'] },
    });
    const fromStdin = await sess(['show', url, '--token', '-', '--json'], { input: `${token}\n` });
    expect(JSON.parse(fromStdin.stdout).id).toBe(id);
  });

  it('destroy ends one session; a second destroy finds nothing', async () => {
    const id = sessionIdOf(tokens[20] as string);
    const first = await sess(['destroy', url, id]);
    expect(first.stdout.trim()).toBe(`destroyed ${id}`);
    const again = await sess(['destroy', url, id, '--json']);
    expect(JSON.parse(again.stdout)).toEqual({ id, destroyed: false });
    const gone = await sess(['show', url, id]);
    expect(gone.code).toBe(1);
  });

  it('logout-user ends every session of a user but the one kept', async () => {
    const keep = sessionIdOf(tokens[0] as string);
    const run = await sess(['logout-user', url, 'alice', '--except', keep, '--json']);
    expect(JSON.parse(run.stdout)).toEqual({ destroyed: 9 });
    const left = JSON.parse((await sess(['list', url, '--user', 'alice', '--json'])).stdout);
    expect(left.map((row: { id: string }) => row.id)).toEqual([keep]);
  });

  it('sweep removes the expired rows, under the advisory lock path', async () => {
    const run = await sess(['sweep', url, '--batch', '2', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ deleted: 5, skipped: false });
    expect(JSON.parse((await sess(['sweep', url, '--json'])).stdout).deleted).toBe(0);
  });

  it('sweep refuses a store that expires by itself', async () => {
    const run = await sess(['sweep', 'redis://127.0.0.1:6379?prefix=sess-cli-sweep:']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('nothing to sweep');
  });
});
