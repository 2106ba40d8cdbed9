import assert from 'node:assert/strict';
import { RedisStore } from '@sess/redis';
import { type RedisServer, startRedis } from '@sess/test-servers';
import express, { type ErrorRequestHandler } from 'express';
import session, { type SessionOptions } from 'express-session';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { SessStore } from '../src/index.js';
import { uniqueName } from './support/backends.js';
import { Browser, listen } from './support/http.js';
import './support/sessions.js';

const HOUR = 3_600_000;

/**
 * express-session's own behaviour, through a real Express app over real
 * HTTP, with SessStore on Redis underneath.
 */
describe('express-session over SessStore, through Express', () => {
  let server: RedisServer;
  let client: ReturnType<typeof createClient>;
  const stops: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    server = await startRedis();
    client = createClient({ url: server.url });
    client.on('error', () => {});
    await client.connect();
  });
  afterAll(async () => {
    for (const stop of stops) await stop();
    await client.close();
    await server.dispose();
  });

  /** An app with login, logout, a counter and a page that reads nothing. */
  async function start(options: Partial<SessionOptions> = {}) {
    const sess = new RedisStore({ client, prefix: `${uniqueName('app')}:` });
    const store = new SessStore(sess, { userIdOf: (s) => s.passport?.user });
    const app = express();
    app.use(
      session({
        store,
        secret: 'test secret',
        resave: false,
        saveUninitialized: false,
        cookie: { maxAge: HOUR },
        ...options,
      }),
    );
    let held: { arrived(): void; gate: Promise<void> } | undefined;
    app.get('/read', (req, res) => {
      res.json({ sid: req.sessionID, n: req.session.n ?? null });
    });
    app.post('/count', async (req, res) => {
      req.session.n = (req.session.n ?? 0) + 1;
      const slow = held;
      held = undefined;
      if (slow) {
        // A slow request: it has loaded and changed the session, and waits here.
        slow.arrived();
        await slow.gate;
      }
      res.json({ sid: req.sessionID, n: req.session.n });
    });
    app.post('/login', (req, res, next) => {
      const n = req.session.n;
      req.session.regenerate((error) => {
        if (error) return next(error);
        req.session.passport = { user: 'ada' };
        if (n !== undefined) req.session.n = n;
        res.json({ sid: req.sessionID });
      });
    });
    app.post('/logout', (req, res, next) => {
      req.session.destroy((error) => (error ? next(error) : res.json({ ok: true })));
    });
    const onError: ErrorRequestHandler = (error, _req, res, _next) => {
      res.status(503).json({ code: (error as { code?: string }).code });
    };
    app.use(onError);
    const http = await listen(app);
    stops.push(http.close);
    return {
      sess,
      store,
      browser: () => new Browser(http.url),
      /** Holds the next /count request in its handler until `release()`. */
      hold() {
        let release!: () => void;
        let arrived!: () => void;
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        const arrival = new Promise<void>((resolve) => {
          arrived = resolve;
        });
        held = { arrived, gate };
        return { arrival, release };
      },
    };
  }

  it('saveUninitialized: false stores nothing and sets no cookie until the session changes', async () => {
    const { sess, browser } = await start();
    const visitor = browser();
    const { body } = await visitor.request('/read');
    assert.equal(visitor.lastSetCookie, undefined);
    assert.equal(await sess.get((body as { sid: string }).sid), null);
    assert.equal(await sess.count!(), 0);

    const counted = await visitor.request('/count', 'POST');
    const { sid } = counted.body as { sid: string };
    assert.match(String(visitor.lastSetCookie), /^connect\.sid=/);
    assert.ok(await sess.get(sid));
    assert.deepEqual((await visitor.request('/read')).body, { sid, n: 1 });
  });

  it('regenerate gives a new sid; the old one is gone and the new one is tagged with its user', async () => {
    const { sess, store, browser } = await start();
    const visitor = browser();
    const before = (await visitor.request('/count', 'POST')).body as { sid: string };
    const stolen = visitor.cookie;
    const after = (await visitor.request('/login', 'POST')).body as { sid: string };
    assert.notEqual(after.sid, before.sid);
    assert.equal(await sess.get(before.sid), null);
    assert.equal((await sess.get(after.sid))?.userId, 'ada');
    assert.deepEqual((await visitor.request('/read')).body, { sid: after.sid, n: 1 });
    assert.deepEqual(
      (await store.listByUser('ada')).map((s) => s.id),
      [after.sid],
    );
    // The cookie from before the login (session fixation) opens nothing.
    const attacker = browser();
    attacker.cookie = stolen;
    const seen = (await attacker.request('/read')).body as { sid: string; n: unknown };
    assert.equal(seen.n, null);
  });

  it('destroy ends the session in the store; its cookie then opens a fresh one', async () => {
    const { sess, browser } = await start();
    const visitor = browser();
    const { sid } = (await visitor.request('/count', 'POST')).body as { sid: string };
    await visitor.request('/logout', 'POST');
    assert.equal(await sess.get(sid), null);
    const again = (await visitor.request('/read')).body as { sid: string; n: unknown };
    assert.equal(again.n, null);
    assert.equal(await sess.count!(), 0);
  });

  it('an unchanged session is touched, not rewritten; rolling: false sends no cookie for it', async () => {
    const { sess, browser } = await start({ rolling: false });
    const visitor = browser();
    const { sid } = (await visitor.request('/count', 'POST')).body as { sid: string };
    const soon = Date.now() + 60_000;
    assert.ok(await sess.touch(sid, soon));
    const written = await sess.get(sid);
    const sent = Date.now();
    await visitor.request('/read');
    assert.equal(visitor.lastSetCookie, undefined);
    const touched = await sess.get(sid);
    assert.ok(written && touched);
    assert.ok(touched.expiresAt >= sent + HOUR, 'the expiry moved to the renewed cookie');
    assert.equal(touched.version, written.version, 'the data was not rewritten');
  });

  it('rolling: true renews the cookie on every response, and the stored expiry with it', async () => {
    const { sess, browser } = await start({ rolling: true });
    const visitor = browser();
    const { sid } = (await visitor.request('/count', 'POST')).body as { sid: string };
    assert.ok(await sess.touch(sid, Date.now() + 60_000));
    const sent = Date.now();
    await visitor.request('/read');
    assert.ok(visitor.lastSetCookie, 'the unchanged session still got a cookie');
    const expires = Date.parse(/Expires=([^;]+)/.exec(visitor.lastSetCookie)?.[1] ?? '');
    // The cookie carries whole seconds.
    assert.ok(expires >= Math.floor((sent + HOUR) / 1000) * 1000);
    const stored = await sess.get(sid);
    assert.ok(stored && stored.expiresAt >= sent + HOUR);
  });

  it('a request that loaded the session before a logout does not bring it back when it ends', async () => {
    const { sess, browser, hold } = await start();
    const visitor = browser();
    const { sid } = (await visitor.request('/count', 'POST')).body as { sid: string };
    const { arrival, release } = hold();
    const slow = visitor.request('/count', 'POST');
    await arrival; // the slow request has loaded the session and changed it in memory
    const other = new Browser(visitor.base);
    other.cookie = visitor.cookie;
    await other.request('/logout', 'POST');
    release();
    assert.deepEqual((await slow).body, { sid, n: 2 });
    assert.equal(await sess.get(sid), null, 'the slow request did not revive the session');
    assert.equal(((await visitor.request('/read')).body as { n: unknown }).n, null);
  });

  it('a store that is down gives the app an error to handle, within the store’s timeout', async () => {
    const down = await startRedis();
    const downClient = createClient({ url: down.url, socket: { reconnectStrategy: 100 } });
    downClient.on('error', () => {});
    await downClient.connect();
    const store = new SessStore(
      new RedisStore({ client: downClient, prefix: 'down:', operationTimeoutMs: 500 }),
    );
    const app = express();
    app.use(session({ store, secret: 's', resave: false, saveUninitialized: false }));
    app.post('/count', (req, res) => {
      req.session.n = 1;
      res.json({ ok: true });
    });
    const onError: ErrorRequestHandler = (error, _req, res, _next) => {
      res.status(503).json({ code: (error as { code?: string }).code });
    };
    app.use(onError);
    const http = await listen(app);
    try {
      const visitor = new Browser(http.url);
      await visitor.request('/count', 'POST');
      await down.kill();
      const failed = await visitor.request('/count', 'POST');
      assert.deepEqual(failed, { status: 503, body: { code: 'SESS_STORE_UNAVAILABLE' } });
    } finally {
      await http.close();
      await downClient.close().catch(() => {});
      await down.dispose();
    }
  });
});
