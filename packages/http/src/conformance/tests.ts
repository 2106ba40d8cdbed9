import assert from 'node:assert/strict';
import { StoreUnavailableError, sessionIdOf } from '@sess/core';
import type { SetCookie } from 'cookie';
import type { SessionCookieOptions } from '../cookie.js';
import { AppState, type SessionView } from './app.js';
import { type Answer, Browser } from './browser.js';
import type { GlueConformanceOptions } from './options.js';
import { type Latency, SuiteStore } from './store.js';

/** A server started for one test, and what it runs on. */
export interface Launched {
  readonly url: string;
  readonly store: SuiteStore;
  readonly state: AppState;
  /** A fresh browser with an empty jar. */
  browser(): Browser;
}

export interface LaunchOptions {
  readonly latency?: Latency;
  readonly cookie?: SessionCookieOptions;
  readonly trustProxy?: boolean;
}

/** What each test gets: servers of the glue under test, closed when the test ends. */
export interface GlueKit {
  launch(options?: LaunchOptions): Promise<Launched>;
}

export type GlueTest = (kit: GlueKit) => Promise<void>;

/** Store writes take this long in the tests about commit timing. */
const SLOW_WRITE_MS = 50;
const PARALLEL = 50;

const slowWrites: Latency = (operation) => (operation === 'get' ? 0 : SLOW_WRITE_MS);

/** The one `Set-Cookie` of `name` the answer must carry. */
function onlyCookie(answer: Answer, name = 'sess'): SetCookie & { value: string } {
  const cookies = answer.cookiesNamed(name);
  assert.equal(cookies.length, 1, `expected one Set-Cookie for ${name}, got ${cookies.length}`);
  const [cookie] = cookies as [SetCookie];
  return { ...cookie, value: cookie.value ?? '' };
}

function noCookie(answer: Answer, name = 'sess'): void {
  assert.deepEqual(
    answer.cookiesNamed(name).map((c) => c.name),
    [],
    `expected no Set-Cookie for ${name}`,
  );
}

function isCleared(cookie: SetCookie): boolean {
  return (
    cookie.value === '' &&
    ((cookie.maxAge !== undefined && cookie.maxAge <= 0) ||
      (cookie.expires !== undefined && cookie.expires.getTime() <= Date.now()))
  );
}

async function read(browser: Browser, cookieHeader?: string) {
  const answer = await browser.json<SessionView>(
    'GET',
    '/read',
    cookieHeader === undefined ? {} : { cookieHeader },
  );
  assert.equal(answer.status, 200, `GET /read answered ${answer.status}`);
  return answer;
}

async function write(browser: Browser, key: string, value: string) {
  const answer = await browser.json<SessionView>('POST', `/set?key=${key}&value=${value}`);
  assert.equal(answer.status, 200, `POST /set answered ${answer.status}`);
  return answer;
}

function token(browser: Browser, name = 'sess'): string {
  const value = browser.cookies.get(name);
  assert.ok(value, `the browser holds no ${name} cookie`);
  return value;
}

const FRESH = { isNew: true, id: null, userId: null, data: {} } satisfies SessionView;

/**
 * The glue conformance tests, by name. Each one is a rule a glue keeps,
 * checked over real HTTP against the glue's own server.
 */
export const glueTests = {
  'cookie: a new session that holds no data sends no cookie and writes nothing': async (kit) => {
    const { store, browser } = await kit.launch();
    const answer = await read(browser());
    noCookie(answer);
    assert.deepEqual(answer.json, FRESH);
    assert.deepEqual(store.acknowledged, []);
  },

  'cookie: the first write sets it once, HttpOnly, SameSite=Lax, Path=/, expiring with the stored session':
    async (kit) => {
      const { store, browser } = await kit.launch();
      const visitor = browser();
      const cookie = onlyCookie(await write(visitor, 'colour', 'blue'));
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'lax');
      assert.equal(cookie.path, '/');
      assert.equal(cookie.domain, undefined);
      assert.notEqual(cookie.secure, true, 'Secure over plain HTTP without a proxy');
      assert.equal(cookie.maxAge, undefined, 'the cookie expires at a date: the stored expiry');
      const stored = await store.peek(sessionIdOf(cookie.value));
      assert.ok(stored, 'the cookie names a stored session');
      assert.equal(
        cookie.expires?.getTime(),
        Math.floor(stored.expiresAt / 1000) * 1000,
        'Expires is the stored expiry, in whole seconds',
      );
      assert.deepEqual(store.acknowledged, [`create:${sessionIdOf(cookie.value)}`]);

      const again = await read(visitor);
      noCookie(again);
      assert.deepEqual(again.json.data, { colour: 'blue' });
      assert.equal(again.json.id, sessionIdOf(cookie.value));
      assert.equal(store.acknowledged.length, 1, 'a read that changes nothing writes nothing');
    },

  'cookie: the options given to the glue reach the cookie': async (kit) => {
    const { browser } = await kit.launch({ cookie: { name: 'app_sess', sameSite: 'strict' } });
    const visitor = browser();
    const answer = await write(visitor, 'colour', 'green');
    noCookie(answer, 'sess');
    const cookie = onlyCookie(answer, 'app_sess');
    assert.equal(cookie.sameSite, 'strict');
    assert.equal(cookie.httpOnly, true);
    assert.deepEqual((await read(visitor)).json.data, { colour: 'green' });
    const wrongName = await read(browser(), `sess=${cookie.value}`);
    assert.equal(wrongName.json.isNew, true, 'a cookie of another name is not the session');
  },

  'login: regenerate issues a new token, keeps the data, and the old token loads an empty session':
    async (kit) => {
      const { store, browser } = await kit.launch();
      const visitor = browser();
      await write(visitor, 'cart', 'book');
      const before = token(visitor);
      const login = await visitor.send('POST', '/login?user=alice');
      assert.equal(login.status, 303);
      const after = onlyCookie(login).value;
      assert.notEqual(after, before);
      const now = await read(visitor);
      assert.equal(now.json.userId, 'alice');
      assert.deepEqual(now.json.data, { cart: 'book' });
      assert.deepEqual((await read(browser(), `sess=${before}`)).json, FRESH);
      assert.equal(await store.peek(sessionIdOf(before)), null);
    },

  'login: remember me keeps the cookie 30 days; without it the cookie lasts the browser session, commit after commit':
    async (kit) => {
      const { store, browser } = await kit.launch();
      const remembered = browser();
      await write(remembered, 'cart', 'book');
      const long = onlyCookie(await remembered.send('POST', '/login?user=alice&remember=1'));
      const stored = await store.peek(sessionIdOf(long.value));
      assert.ok(stored, 'the cookie names a stored session');
      assert.ok(stored.expiresAt > Date.now() + 29 * 24 * 3_600_000, 'stored for 30 days');
      assert.equal(long.expires?.getTime(), Math.floor(stored.expiresAt / 1000) * 1000);

      const forgetful = browser();
      await write(forgetful, 'cart', 'pen');
      const login = await forgetful.send('POST', '/login?user=bob&remember=0');
      const short = onlyCookie(login);
      assert.equal(short.expires, undefined, 'a browser-session cookie has no Expires');
      assert.equal(short.maxAge, undefined, 'a browser-session cookie has no Max-Age');
      const kept = await store.peek(sessionIdOf(short.value));
      assert.ok(kept && kept.expiresAt <= Date.now() + 30 * 60_000, 'idle after 30 minutes');
      // A later request that changes the session sets the cookie again: still no expiry.
      const later = onlyCookie(await write(forgetful, 'cart', 'pencil'));
      assert.equal(later.value, short.value);
      assert.equal(later.expires, undefined);
      assert.equal(later.maxAge, undefined);
      assert.equal((await read(forgetful)).json.userId, 'bob');
    },

  'login: the follow-up of its redirect, sent the moment the headers arrive, sees the login (writes take 50 ms)':
    async (kit) => {
      const { store, browser } = await kit.launch({ latency: slowWrites });
      const visitor = browser();
      await write(visitor, 'cart', 'book');
      let followUp: SessionView | undefined;
      const login = await visitor.send('POST', '/login?user=alice', {
        onHeaders: async (answer) => {
          const id = sessionIdOf(onlyCookie(answer).value);
          assert.ok(
            store.acknowledged.includes(`create:${id}`),
            'the headers left before the store acknowledged the new session',
          );
          const location = answer.response.headers.get('location');
          assert.ok(location, 'the redirect has a Location');
          followUp = (await visitor.json<SessionView>('GET', location)).json;
        },
      });
      assert.equal(login.status, 303);
      assert.equal(followUp?.userId, 'alice');
      assert.deepEqual(followUp?.data, { cart: 'book' });
    },

  'stream: a streamed body carries the cookie, committed before its first byte (writes take 50 ms)':
    async (kit) => {
      const { store, browser } = await kit.launch({ latency: slowWrites });
      const visitor = browser();
      const answer = await visitor.send('GET', '/stream?key=step&value=streamed', {
        onHeaders: async (headers) => {
          const id = sessionIdOf(onlyCookie(headers).value);
          assert.ok(
            store.acknowledged.includes(`create:${id}`),
            'the headers left before the store acknowledged the session',
          );
        },
      });
      assert.equal(answer.status, 200);
      assert.equal(answer.body, 'one\ntwo\nthree\n');
      assert.deepEqual((await read(visitor)).json.data, { step: 'streamed' });
    },

  'logout: clears the cookie and destroys the stored session': async (kit) => {
    const { store, browser } = await kit.launch();
    const visitor = browser();
    await visitor.send('POST', '/login?user=bob');
    const loggedIn = token(visitor);
    const logout = await visitor.send('POST', '/logout');
    assert.equal(logout.status, 303);
    const cleared = onlyCookie(logout);
    assert.ok(isCleared(cleared), 'the cookie is emptied and expired');
    assert.equal(cleared.path, '/');
    assert.equal(visitor.cookies.get('sess'), undefined);
    assert.equal(await store.peek(sessionIdOf(loggedIn)), null);
    assert.equal(await store.liveCount(), 0);
    assert.deepEqual((await read(browser(), `sess=${loggedIn}`)).json, FRESH);
  },

  'logout: a slow request in flight cannot revive the session': async (kit) => {
    const { store, state, browser } = await kit.launch();
    const visitor = browser();
    await visitor.send('POST', '/login?user=carol');
    const loggedIn = token(visitor);
    const gate = state.gate('slow');
    const slow = browser().json('POST', '/set?key=late&value=1&hold=slow', {
      cookieHeader: `sess=${loggedIn}`,
    });
    await gate.reached;
    const logout = await visitor.send('POST', '/logout');
    assert.ok(isCleared(onlyCookie(logout)));
    gate.open();
    const late = await slow;
    assert.equal(late.status, 200);
    noCookie(late);
    assert.equal(await store.liveCount(), 0, 'the slow request wrote the session back');
    assert.deepEqual((await read(browser(), `sess=${loggedIn}`)).json, FRESH);
  },

  'parallel: 50 requests each setting a key all land, one reply each (store answers in random order)':
    async (kit) => {
      const { store, browser } = await kit.launch({
        latency: () => Math.floor(Math.random() * 10),
      });
      const visitor = browser();
      await write(visitor, 'first', 'yes');
      const cookieHeader = `sess=${token(visitor)}`;
      const answers = await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) =>
          browser().json<SessionView>('POST', `/set?key=k${i}&value=${i}`, { cookieHeader }),
        ),
      );
      for (const [i, answer] of answers.entries()) {
        assert.equal(answer.status, 200, `request ${i} answered ${answer.status}`);
        assert.equal(answer.json.data[`k${i}`], String(i));
        assert.ok(answer.cookiesNamed('sess').length <= 1, `request ${i} set the cookie twice`);
      }
      const { data } = (await read(visitor)).json;
      for (let i = 0; i < PARALLEL; i++) assert.equal(data[`k${i}`], String(i), `k${i} was lost`);
      assert.equal(data.first, 'yes');
      const updates = store.acknowledged.filter((entry) => entry.startsWith('update:'));
      assert.equal(updates.length, PARALLEL, 'one commit per request');
    },

  'outage: the store down while loading gives the error path (503) and no cookie': async (kit) => {
    const { store, state, browser } = await kit.launch();
    const visitor = browser();
    await write(visitor, 'colour', 'red');
    await store.goDown();
    const answer = await visitor.send('GET', '/read');
    assert.equal(answer.status, 503, 'the app’s error handler saw StoreUnavailableError');
    noCookie(answer);
    assert.ok(state.errors.some((error) => error instanceof StoreUnavailableError));
  },

  'outage: the store down while committing gives the error path (503) and no cookie': async (
    kit,
  ) => {
    const { store, state, browser } = await kit.launch();
    const visitor = browser();
    await write(visitor, 'colour', 'red');
    const known = visitor.send('POST', '/set?key=colour&value=blue&hold=known');
    const fresh = browser().send('POST', '/set?key=colour&value=blue&hold=fresh');
    await Promise.all([state.gate('known').reached, state.gate('fresh').reached]);
    await store.goDown();
    state.gate('known').open();
    state.gate('fresh').open();
    for (const answer of await Promise.all([known, fresh])) {
      assert.equal(answer.status, 503, 'the app’s error handler saw StoreUnavailableError');
      noCookie(answer);
    }
    assert.equal(state.errors.filter((error) => error instanceof StoreUnavailableError).length, 2);
  },

  'bad cookie: a garbage cookie gives a fresh session without asking the store': async (kit) => {
    const { store, browser } = await kit.launch();
    for (const garbage of ['sess=', 'sess=not%20a%20token', 'sess="quoted"', 'sess=a;b;;=;']) {
      const answer = await read(browser(), garbage);
      assert.deepEqual(answer.json, FRESH, garbage);
      noCookie(answer);
    }
    assert.equal(store.calls.get, 0);
    const visitor = browser();
    visitor.cookies.set('sess', 'garbage');
    const cookie = onlyCookie(await write(visitor, 'colour', 'grey'));
    assert.notEqual(cookie.value, 'garbage');
  },

  'bad cookie: an oversized cookie gives a fresh session without asking the store': async (kit) => {
    const { store, browser } = await kit.launch();
    const visitor = browser();
    await write(visitor, 'colour', 'teal');
    const real = token(visitor);
    for (const oversized of [`sess=${'A'.repeat(8000)}`, `sess=${real}${real}${real}`]) {
      const answer = await read(browser(), oversized);
      assert.deepEqual(answer.json, FRESH);
      noCookie(answer);
    }
    assert.equal(store.calls.get, 0);
  },

  'bad cookie: two different session cookies give a fresh session; one sent twice is that session':
    async (kit) => {
      const { store, browser } = await kit.launch();
      const alice = browser();
      const mallory = browser();
      await write(alice, 'owner', 'alice');
      await write(mallory, 'owner', 'mallory');
      const [a, m] = [token(alice), token(mallory)];
      for (const header of [`sess=${a}; sess=${m}`, `sess=${m}; theme=dark; sess=${a}`]) {
        const answer = await read(browser(), header);
        assert.deepEqual(answer.json, FRESH, 'neither cookie may win');
        noCookie(answer);
      }
      const twice = await read(browser(), `sess=${a}; theme=dark; sess=${a}`);
      assert.equal(twice.json.data.owner, 'alice');

      const confused = browser();
      const fresh = onlyCookie(
        await confused.json('POST', '/set?key=owner&value=nobody', {
          cookieHeader: `sess=${a}; sess=${m}`,
        }),
      );
      assert.ok(fresh.value !== a && fresh.value !== m, 'a write starts a new session');
      assert.equal((await read(browser(), `sess=${a}`)).json.data.owner, 'alice');
      assert.equal((await read(browser(), `sess=${m}`)).json.data.owner, 'mallory');
      assert.equal(await store.liveCount(), 3);
    },

  'errors: a request that failed before the commit sends no cookie and saves nothing': async (
    kit,
  ) => {
    const { store, state, browser } = await kit.launch();
    const visitor = browser();
    await write(visitor, 'kept', 'yes');
    const failed = await visitor.send('POST', '/fail?key=half');
    assert.equal(failed.status, 500);
    noCookie(failed);
    assert.deepEqual((await read(visitor)).json.data, { kept: 'yes' });

    const stranger = await browser().send('POST', '/fail?key=half');
    assert.equal(stranger.status, 500);
    noCookie(stranger);
    assert.equal(await store.liveCount(), 1);
    assert.equal(state.errors.length, 2);
    assert.ok(state.errors.every((error) => !(error instanceof StoreUnavailableError)));
  },

  'proxy: Secure behind a trusted proxy, and X-Forwarded-Proto ignored without trust': async (
    kit,
  ) => {
    const https = { headers: { 'x-forwarded-proto': 'https' } };
    const trusted = await kit.launch({ trustProxy: true });
    const viaProxy = onlyCookie(await trusted.browser().send('POST', '/set?key=a&value=1', https));
    assert.equal(viaProxy.secure, true, 'Secure when a trusted proxy says https');
    const direct = onlyCookie(await trusted.browser().send('POST', '/set?key=a&value=1'));
    assert.notEqual(direct.secure, true, 'no Secure over plain HTTP');

    const untrusted = await kit.launch();
    const forged = onlyCookie(await untrusted.browser().send('POST', '/set?key=a&value=1', https));
    assert.notEqual(forged.secure, true, 'X-Forwarded-Proto is not trusted by default');
  },
} satisfies Record<string, GlueTest>;

/** The name of a glue conformance test, as `skip` takes it. */
export type GlueTestName = keyof typeof glueTests;

/** Runs one test with its own servers, closing them whatever happens. */
export async function runGlueTest(test: GlueTest, options: GlueConformanceOptions): Promise<void> {
  const running: Array<{ close(): Promise<void> }> = [];
  const kit: GlueKit = {
    async launch(launch = {}) {
      const store = new SuiteStore(launch.latency);
      const state = new AppState(store);
      const app = state.app({
        ...(launch.cookie ? { cookie: launch.cookie } : {}),
        trustProxy: launch.trustProxy ?? false,
      });
      const server = await options.start(app);
      running.push({
        close: async () => {
          await server.close();
          await store.close();
        },
      });
      assert.match(server.url, /^http:\/\//, 'start must resolve to { url, close }');
      return { url: server.url, store, state, browser: () => new Browser(server.url) };
    },
  };
  try {
    await test(kit);
  } finally {
    for (const server of running.reverse()) await server.close();
  }
}
