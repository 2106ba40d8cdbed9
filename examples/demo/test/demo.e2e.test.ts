import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../src/server.js';
import { openStore } from '../src/stores.js';
import { CookieJar } from './jar.js';

interface State {
  visits: number;
  user: string | null;
  sessionId: string | null;
  sessions: Array<{ id: string; current: boolean; device: string | null }>;
}

describe('the demo over real HTTP', () => {
  let demo: RunningDemo;
  let url: string;
  beforeAll(async () => {
    demo = await startDemo({ port: 0, storeUrl: 'memory:' });
    url = demo.url;
  });
  afterAll(() => demo?.close());

  const state = async (jar: CookieJar): Promise<State> => {
    const response = await jar.fetch(`${url}state`);
    expect(response.status).toBe(200);
    return (await response.json()) as State;
  };
  const visit = async (jar: CookieJar) => {
    const response = await jar.fetch(url);
    expect(response.status).toBe(200);
    return response.text();
  };

  const login = async (jar: CookieJar, name: string) => {
    const response = await jar.post(`${url}login`, { name });
    expect(response.status).toBe(303);
  };

  it('an anonymous visit writes nothing and sends no cookie', async () => {
    const jar = new CookieJar();
    const before = await demo.manager.store.count?.();
    for (let i = 0; i < 20; i++) {
      expect(await visit(jar)).toContain('Anonymous visits are not stored');
      expect(jar.lastSetCookie).toEqual([]);
    }
    expect(await demo.manager.store.count?.()).toBe(before);
  });

  it('counts visits once a session exists, in a session held by an HttpOnly cookie', async () => {
    const jar = new CookieJar();
    await login(jar, 'ada');
    const [cookie] = jar.lastSetCookie;
    expect(cookie).toMatch(/^sess=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toMatch(/; Expires=[^;]+ GMT(;|$)/);
    expect(cookie).toContain('; HttpOnly');
    expect(cookie).toContain('; SameSite=Lax');
    expect(cookie).toContain('; Path=/;');
    expect(cookie).not.toContain('Secure'); // plain http on loopback
    const token = jar.get('sess');

    expect(await visit(jar)).toContain('<strong>1</strong> time in this session');
    expect(await visit(jar)).toContain('<strong>2</strong> times');
    expect(jar.get('sess')).toBe(token);
    expect((await state(jar)).visits).toBe(2);
  });

  it('forbids framing and answers 400 to a URL it cannot read', async () => {
    const response = await fetch(url);
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    for (const path of ['%E0%A4%A', '%', 'state%ZZ']) {
      const bad = await fetch(`${url}${path}`);
      expect(bad.status, path).toBe(400);
      expect(bad.headers.getSetCookie(), path).toEqual([]);
    }
  });

  it('the cookie expires when the stored session does', async () => {
    const jar = new CookieJar();
    await login(jar, 'ada');
    const expires = Date.parse(/Expires=([^;]+)/.exec(jar.lastSetCookie[0] ?? '')?.[1] ?? '');
    const { sessionId } = await state(jar);
    const stored = await demo.manager.store.get(sessionId as string);
    // The cookie carries whole seconds: it never outlives the record.
    expect(stored?.expiresAt).toBeGreaterThanOrEqual(expires);
    expect((stored?.expiresAt ?? 0) - expires).toBeLessThan(1000);
  });

  it('a state read without changes sends no cookie', async () => {
    const jar = new CookieJar();
    await login(jar, 'ada');
    await visit(jar);
    await state(jar);
    expect(jar.lastSetCookie).toEqual([]);
  });

  it('logging in again issues a new token, keeps the visits, and kills the old token', async () => {
    const jar = new CookieJar();
    await login(jar, 'alice');
    await visit(jar);
    await visit(jar);
    const before = jar.get('sess') as string;

    const response = await jar.post(`${url}login`, { name: 'alice' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
    const after = jar.get('sess');
    expect(after).toBeDefined();
    expect(after).not.toBe(before);

    const now = await state(jar);
    expect(now.user).toBe('alice');
    expect(now.visits).toBe(2);

    const attacker = new CookieJar();
    attacker.set('sess', before); // a token fixed or seen before login
    expect(await state(attacker)).toMatchObject({ user: null, visits: 0, sessionId: null });
  });

  it('lists my sessions and logs out everywhere else', async () => {
    const laptop = new CookieJar();
    const phone = new CookieJar();
    const tablet = new CookieJar();
    const bob = new CookieJar();
    for (const [jar, name] of [
      [laptop, 'carol'],
      [phone, 'carol'],
      [tablet, 'carol'],
      [bob, 'bob'],
    ] as const) {
      await jar.fetch(url, { headers: { 'user-agent': `${name}'s device` } });
      await jar.post(`${url}login`, { name });
    }
    const mine = await state(laptop);
    expect(mine.sessions).toHaveLength(3);
    expect(mine.sessions.filter((s) => s.current).map((s) => s.id)).toEqual([mine.sessionId]);
    const page = await visit(laptop);
    expect(page).toContain('My sessions');
    expect(page).toContain('(this one)');

    const response = await laptop.post(`${url}logout-others`);
    expect(response.status).toBe(303);
    expect(await visit(laptop)).toContain('Signed out 2 other sessions.');

    expect((await state(phone)).user).toBeNull();
    expect((await state(tablet)).user).toBeNull();
    expect((await state(bob)).user).toBe('bob');
    const after = await state(laptop);
    expect(after.user).toBe('carol');
    expect(after.sessions.map((s) => s.id)).toEqual([after.sessionId]);
  });

  it('logging out destroys the session and clears the cookie', async () => {
    const jar = new CookieJar();
    await jar.post(`${url}login`, { name: 'dave' });
    const token = jar.get('sess') as string;
    const { sessionId } = await state(jar);

    const response = await jar.post(`${url}logout`);
    expect(response.status).toBe(303);
    expect(jar.lastSetCookie[0]).toMatch(/^sess=; .*Max-Age=0/);
    expect(jar.get('sess')).toBeUndefined();
    expect(await demo.manager.store.get(sessionId as string)).toBeNull();

    const replay = new CookieJar();
    replay.set('sess', token);
    expect((await state(replay)).user).toBeNull();
  });

  it('escapes what users type', async () => {
    const jar = new CookieJar();
    await jar.post(`${url}login`, { name: '<script>alert(1)</script>' });
    const page = await visit(jar);
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('refuses cross-origin form posts, unknown paths and wrong methods', async () => {
    const jar = new CookieJar();
    const forged = await jar.fetch(`${url}login`, {
      method: 'POST',
      headers: {
        origin: 'https://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'name=mallory',
    });
    expect(forged.status).toBe(403);
    expect(jar.get('sess')).toBeUndefined();
    expect((await jar.fetch(`${url}nope`)).status).toBe(404);
    expect((await jar.fetch(`${url}login`)).status).toBe(405);
    expect((await jar.post(`${url}login`, { name: '' })).status).toBe(400);
  });
});

describe('behind an HTTPS proxy', () => {
  it('names the cookie __Host-sess, Secure, when the proxy says the request came over HTTPS', async () => {
    const demo = await startDemo({ port: 0, storeUrl: 'memory:', trustProxy: true });
    try {
      const form = (proto: string) => ({
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: new URL(demo.url).origin,
          'x-forwarded-proto': proto,
        },
        body: 'name=grace',
      });
      const jar = new CookieJar();
      await jar.fetch(`${demo.url}login`, form('https'));
      // Secure, and prefixed so that no subdomain or plain-http page can set it.
      expect(jar.lastSetCookie[0]).toMatch(/^__Host-sess=.*; Secure/);
      expect(jar.lastSetCookie[0]).not.toContain('Domain=');
    } finally {
      await demo.close();
    }
  });
});

describe('the store registry', () => {
  it('opens memory: and refuses unknown schemes by name', async () => {
    const opened = await openStore('memory:');
    expect(opened.description).toBe('memory:');
    await opened.close();
    await expect(openStore('bogus://x')).rejects.toThrow(/scheme "bogus:" is not known/);
    await expect(openStore('not a url')).rejects.toThrow(/must be a URL/);
  });

  it('never prints credentials from the URL', async () => {
    // Port 1 refuses the connection at once.
    const failure = await openStore('postgres://user:hunter2@127.0.0.1:1/sessions').catch(
      (error: Error) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/postgres:\/\/127\.0\.0\.1:1\/sessions/);
    expect((failure as Error).message).not.toContain('hunter2');
  });
});

describe('the start script', () => {
  const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

  it('starts on loopback and prints where to open it', async () => {
    expect(existsSync(main), 'build the demo first (turbo runs build before test)').toBe(true);
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, PORT: '0', SESS_STORE: 'memory:' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('\n')) resolve(out);
        });
        child.once('exit', (code) => reject(new Error(`the demo exited with ${code}: ${out}`)));
      });
      const opened = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(line)?.[1];
      expect(opened, line).toBeDefined();
      const response = await fetch(opened as string);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('sess demo');
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
  });
});
