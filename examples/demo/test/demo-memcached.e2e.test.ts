import { type MemcachedServer, startMemcached } from '@sess/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../src/server.js';
import { CookieJar } from './jar.js';

// The same app on a real server: SESS_STORE=memcached://… through the store
// registry, which imports @sess/memcached on first use.
describe('the demo on memcached', () => {
  let server: MemcachedServer;
  let demo: RunningDemo;
  beforeAll(async () => {
    server = await startMemcached();
    demo = await startDemo({ port: 0, storeUrl: `memcached://${server.location}` });
  });
  afterAll(async () => {
    await demo?.close();
    await server?.dispose();
  });

  const state = async (jar: CookieJar) =>
    (await (await jar.fetch(`${demo.url}state`)).json()) as {
      visits: number;
      user: string | null;
    };

  it('counts visits, logs in with a new token, and logs out for good', async () => {
    expect(demo.storeDescription).toBe(`memcached://${server.location}`);
    const jar = new CookieJar();
    expect((await jar.post(`${demo.url}login`, { name: 'erin' })).status).toBe(303);
    expect(await (await jar.fetch(demo.url)).text()).toContain('<strong>1</strong> time');
    expect(await (await jar.fetch(demo.url)).text()).toContain('<strong>2</strong> times');
    const before = jar.get('sess') as string;

    expect((await jar.post(`${demo.url}login`, { name: 'erin' })).status).toBe(303);
    expect(jar.get('sess')).not.toBe(before);
    expect(await state(jar)).toEqual(expect.objectContaining({ user: 'erin', visits: 2 }));

    const replay = new CookieJar();
    replay.set('sess', before);
    expect((await state(replay)).user).toBeNull();

    // Memcached keeps no per-user index: the page says so instead of failing.
    await jar.post(`${demo.url}logout-others`);
    expect(await (await jar.fetch(demo.url)).text()).toContain(
      'This store cannot find sessions by user.',
    );

    const token = jar.get('sess') as string;
    await jar.post(`${demo.url}logout`);
    expect(jar.get('sess')).toBeUndefined();
    const after = new CookieJar();
    after.set('sess', token);
    expect((await state(after)).user).toBeNull();
  });
});
