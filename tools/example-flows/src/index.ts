import assert from 'node:assert/strict';
import { parseSetCookie } from 'cookie';

/** A browser for one device: keeps the session cookie between requests. */
class Device {
  #cookie: string | undefined;

  constructor(
    readonly base: string,
    cookie?: string,
  ) {
    this.#cookie = cookie;
  }

  get cookie(): string | undefined {
    return this.#cookie;
  }

  async send(method: 'GET' | 'POST', path: string, body?: unknown) {
    const headers: Record<string, string> = {};
    if (this.#cookie) headers.cookie = `sess=${this.#cookie}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(new URL(path, this.base), {
      method,
      headers,
      redirect: 'manual',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    for (const set of response.headers.getSetCookie().map((h) => parseSetCookie(h))) {
      if (set.name !== 'sess') continue;
      this.#cookie = set.value && set.maxAge !== 0 ? set.value : undefined;
    }
    return response;
  }

  async me(): Promise<{ user: string | null; sessions: number }> {
    const response = await this.send('GET', '/me');
    assert.equal(response.status, 200);
    return response.json() as Promise<{ user: string | null; sessions: number }>;
  }

  async login(name: string): Promise<void> {
    const response = await this.send('POST', '/login', { name });
    assert.equal(response.status, 303, `login answered ${response.status}`);
    assert.equal(response.headers.get('location'), '/me');
  }
}

/**
 * Checks an example app's account routes over real HTTP: `GET /me`,
 * `POST /login` (`{ "name": … }`, 303 to /me), `POST /logout` (303 to /me)
 * and `POST /logout-others` (`{ loggedOut }`).
 */
export async function checkAccountFlows(base: string): Promise<void> {
  const laptop = new Device(base);
  assert.deepEqual(await laptop.me(), { user: null, sessions: 0 });
  assert.equal(laptop.cookie, undefined, 'a visitor who has not logged in gets no cookie');

  await laptop.login('alice');
  assert.ok(laptop.cookie, 'logging in sets the session cookie');
  assert.deepEqual(await laptop.me(), { user: 'alice', sessions: 1 });

  const phone = new Device(base);
  await phone.login('alice');
  const bob = new Device(base);
  await bob.login('bob');
  assert.deepEqual(await laptop.me(), { user: 'alice', sessions: 2 });

  const others = await laptop.send('POST', '/logout-others');
  assert.deepEqual(await others.json(), { loggedOut: 1 });
  assert.deepEqual(await phone.me(), { user: null, sessions: 0 });
  assert.deepEqual(await bob.me(), { user: 'bob', sessions: 1 });
  assert.deepEqual(await laptop.me(), { user: 'alice', sessions: 1 });

  const loggedIn = laptop.cookie;
  const logout = await laptop.send('POST', '/logout');
  assert.equal(logout.status, 303);
  assert.equal(laptop.cookie, undefined, 'logging out clears the cookie');
  const replay = new Device(base, loggedIn);
  assert.deepEqual(await replay.me(), { user: null, sessions: 0 }, 'the old token is dead');

  const refused = await new Device(base).send('POST', '/login', { name: '' });
  assert.equal(refused.status, 400, 'an empty name is refused');
  // What a form on another site can send: text/plain. It logs nobody in.
  const forged = await fetch(new URL('/login', base), {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ name: 'mallory' }),
    redirect: 'manual',
  });
  assert.equal(forged.status, 400, 'a login posted as text/plain is refused');
  assert.deepEqual(forged.headers.getSetCookie(), []);
}
