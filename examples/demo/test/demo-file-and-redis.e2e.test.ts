import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisServer, startRedis } from '@sess/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../src/server.js';
import { CookieJar } from './jar.js';

/** Two browsers of one user: login, "log out everywhere else", logout. */
async function everywhereElse(demo: RunningDemo): Promise<void> {
  const laptop = new CookieJar();
  const phone = new CookieJar();
  const state = async (jar: CookieJar) =>
    (await (await jar.fetch(`${demo.url}state`)).json()) as { visits: number; user: string | null };

  await laptop.fetch(demo.url);
  expect((await laptop.post(`${demo.url}login`, { name: 'frank' })).status).toBe(303);
  await phone.fetch(demo.url);
  await phone.post(`${demo.url}login`, { name: 'frank' });
  expect((await state(phone)).user).toBe('frank');

  await laptop.post(`${demo.url}logout-others`);
  expect((await state(laptop)).user).toBe('frank');
  expect((await state(phone)).user).toBeNull();

  await laptop.post(`${demo.url}logout`);
  expect(laptop.get('sess')).toBeUndefined();
}

describe('the demo on files', () => {
  let directory: string;
  let demo: RunningDemo;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'sess-demo-files-'));
    demo = await startDemo({ port: 0, storeUrl: `file:${directory}` });
  });
  afterAll(async () => {
    await demo?.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('keeps sessions in the directory and logs out everywhere else', async () => {
    expect(demo.storeDescription).toBe(`file:${directory}`);
    await everywhereElse(demo);
  });
});

describe('the demo on Redis', () => {
  let server: RedisServer;
  let demo: RunningDemo;
  beforeAll(async () => {
    server = await startRedis();
    demo = await startDemo({ port: 0, storeUrl: server.url });
  });
  afterAll(async () => {
    await demo?.close();
    await server?.dispose();
  });

  it('keeps sessions in Redis and logs out everywhere else', async () => {
    expect(demo.storeDescription).toBe(server.url);
    await everywhereElse(demo);
  });
});
