import { InvalidOptionError, MemoryStore, SessionManager } from '@sess/core';
import type { RunningGlue } from '@sess/http/conformance';
import { Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import { streamText } from 'hono/streaming';
import { afterEach, describe, expect, it } from 'vitest';
import { type SessionEnv, sessionMiddleware } from '../src/index.js';
import { serveHono } from './support/app.js';

type Data = { visits: number; note: string };

const running: RunningGlue[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) await server.close();
});

async function serve(app: Hono<SessionEnv<Data>>): Promise<string> {
  const server = await serveHono(app as unknown as Hono<SessionEnv>);
  running.push(server);
  return server.url;
}

function sessionToken(response: Response): string | undefined {
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('sess='));
  return cookie ? /^sess=([^;]*)/.exec(cookie)?.[1] : undefined;
}

describe('@sess/hono', () => {
  it('refuses bad options when the app is built', () => {
    const manager = new SessionManager({ store: new MemoryStore() });
    expect(() =>
      sessionMiddleware({ manager, cookie: { secure: false, sameSite: 'none' } }),
    ).toThrow(InvalidOptionError);
    expect(() => sessionMiddleware({ manager, trustProxy: 'yes' as never })).toThrow(
      InvalidOptionError,
    );
  });

  it('sets its cookie through hono/cookie beside the app’s own', async () => {
    const app = new Hono<SessionEnv<Data>>();
    app.use(sessionMiddleware({ manager: new SessionManager<Data>({ store: new MemoryStore() }) }));
    app.get('/', (c) => {
      const session = c.get('session');
      session.set('visits', (session.get('visits') ?? 0) + 1);
      setCookie(c, 'theme', 'dark');
      return c.json({ visits: session.get('visits') });
    });
    const response = await fetch(await serve(app));
    expect(response.headers.getSetCookie().map((c) => c.split('=')[0])).toEqual(['theme', 'sess']);
    expect(await response.json()).toEqual({ visits: 1 });
  });

  it('hono/streaming: the session set before the stream is saved and its cookie sent', async () => {
    const store = new MemoryStore();
    const app = new Hono<SessionEnv<Data>>();
    app.use(sessionMiddleware({ manager: new SessionManager<Data>({ store }) }));
    app.get('/stream', (c) => {
      const session = c.get('session');
      session.set('visits', 1);
      return streamText(c, async (stream) => {
        await stream.write('streamed');
      });
    });
    const response = await fetch(`${await serve(app)}/stream`);
    expect(await response.text()).toBe('streamed');
    const stored = await new SessionManager<Data>({ store }).load(sessionToken(response));
    expect(stored.get('visits')).toBe(1);
  });

  it('sessionManager is the manager given, and the session is typed', async () => {
    const manager = new SessionManager<Data>({ store: new MemoryStore() });
    const app = new Hono<SessionEnv<Data>>();
    app.use(sessionMiddleware({ manager }));
    app.post('/', (c) => {
      const session = c.get('session');
      const visits: number | undefined = session.get('visits');
      // @ts-expect-error visits is a number
      session.set('visits', 'many');
      return c.json({ same: c.get('sessionManager') === manager, visits: visits ?? null });
    });
    const response = await fetch(await serve(app), { method: 'POST' });
    expect(await response.json()).toEqual({ same: true, visits: null });
  });
});
