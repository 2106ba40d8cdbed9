import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../src/server.js';
import { DEFAULT_STORE_URL } from '../src/stores.js';
import { CookieJar } from './jar.js';

// The default store: SESS_STORE=sqlite:… through the store registry, which
// imports @sess/sql on first use and creates the table in a database file.
describe('the demo on SQLite', () => {
  let dir: string;
  let demo: RunningDemo;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sess-demo-'));
    demo = await startDemo({ port: 0, storeUrl: `sqlite:${join(dir, 'data', 'demo.db')}` });
  });
  afterAll(async () => {
    await demo?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const state = async (jar: CookieJar) =>
    (await (await jar.fetch(`${demo.url}state`)).json()) as {
      visits: number;
      user: string | null;
      sessions: Array<{ id: string; current: boolean }>;
    };

  it('is the default store', () => {
    expect(DEFAULT_STORE_URL).toMatch(/^sqlite:/);
  });

  it('counts visits, logs in, signs out the other sessions of the user, and logs out', async () => {
    expect(demo.storeDescription).toBe(`sqlite:${join(dir, 'data', 'demo.db')}`);
    const laptop = new CookieJar();
    const phone = new CookieJar();
    await laptop.post(`${demo.url}login`, { name: 'erin' });
    expect(await (await laptop.fetch(demo.url)).text()).toContain('<strong>1</strong> time');
    expect(await (await laptop.fetch(demo.url)).text()).toContain('<strong>2</strong> times');
    await phone.post(`${demo.url}login`, { name: 'erin' });
    expect((await state(laptop)).sessions).toHaveLength(2);

    await laptop.post(`${demo.url}logout-others`);
    expect((await state(phone)).user).toBeNull();
    expect(await state(laptop)).toEqual(expect.objectContaining({ user: 'erin', visits: 2 }));

    const token = laptop.get('sess') as string;
    await laptop.post(`${demo.url}logout`);
    const replay = new CookieJar();
    replay.set('sess', token);
    expect((await state(replay)).user).toBeNull();
  });
});
