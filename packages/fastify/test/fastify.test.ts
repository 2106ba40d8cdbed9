import fastifyCookie from '@fastify/cookie';
import fastifyExpress from '@fastify/express';
import { InvalidOptionError, MemoryStore, SessionManager, sessionIdOf } from '@sess/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { sessionPlugin } from '../src/index.js';

declare module '../src/index.js' {
  interface SessionData {
    visits: number;
  }
}

const running: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of running.splice(0)) await app.close();
});

async function serve(app: FastifyInstance): Promise<string> {
  running.push(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}

function sessionToken(response: Response): string | undefined {
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('sess='));
  return cookie ? /^sess=([^;]*)/.exec(cookie)?.[1] : undefined;
}

describe('@sess/fastify', () => {
  it('rejects bad options when the plugin registers', async () => {
    const manager = new SessionManager({ store: new MemoryStore() });
    const app = Fastify();
    running.push(app);
    await expect(
      app.register(sessionPlugin, { manager, cookie: { name: '__Host-s', path: '/app' } }),
    ).rejects.toThrow(InvalidOptionError);
  });

  for (const order of ['before', 'after'] as const) {
    it(`@fastify/cookie registered ${order}: both plugins' cookies are sent, and it reads ours`, async () => {
      const app = Fastify();
      const manager = new SessionManager({ store: new MemoryStore() });
      if (order === 'before') await app.register(fastifyCookie);
      await app.register(sessionPlugin, { manager });
      if (order === 'after') await app.register(fastifyCookie);
      app.post('/visit', async (request, reply) => {
        request.session.set('visits', (request.session.get('visits') ?? 0) + 1);
        reply.setCookie('theme', 'dark', { path: '/' });
        return { visits: request.session.get('visits'), seen: request.cookies.sess ?? null };
      });
      const url = await serve(app);
      const first = await fetch(`${url}/visit`, { method: 'POST' });
      const names = first.headers.getSetCookie().map((c) => c.split('=')[0]);
      expect(names.sort()).toEqual(['sess', 'theme']);
      const token = sessionToken(first);
      const second = await fetch(`${url}/visit`, {
        method: 'POST',
        headers: { cookie: `sess=${token}; theme=dark` },
      });
      expect(await second.json()).toEqual({ visits: 2, seen: token });
    });
  }

  it('a hijacked reply commits only through request.commitSession()', async () => {
    const store = new MemoryStore();
    const app = Fastify();
    await app.register(sessionPlugin, { manager: new SessionManager({ store }) });
    app.get<{ Querystring: { commit?: string } }>('/raw', async (request, reply) => {
      request.session.set('visits', 1);
      reply.hijack();
      const setCookie =
        request.query.commit === undefined ? undefined : await request.commitSession();
      reply.raw.writeHead(200, setCookie ? { 'set-cookie': setCookie } : {});
      reply.raw.end('raw');
    });
    const url = await serve(app);
    const skipped = await fetch(`${url}/raw`);
    expect(await skipped.text()).toBe('raw');
    expect(skipped.headers.getSetCookie()).toEqual([]);
    expect(await store.count()).toBe(0);

    const committed = await fetch(`${url}/raw?commit=1`);
    const token = sessionToken(committed);
    expect(token).toBeDefined();
    expect(await store.get(sessionIdOf(token ?? ''))).not.toBeNull();
  });

  it('@fastify/express: res.send goes through the reply and commits; res.end bypasses it', async () => {
    const store = new MemoryStore();
    const app = Fastify();
    await app.register(sessionPlugin, { manager: new SessionManager({ store }) });
    app.addHook('onRequest', async (request) => {
      request.session.set('visits', 1);
    });
    await app.register(fastifyExpress);
    app.use((req, res, next) => {
      if (req.url === '/send') (res as unknown as { send(body: string): void }).send('express');
      else if (req.url === '/end') res.end('raw');
      else next();
    });
    const url = await serve(app);
    const sent = await fetch(`${url}/send`);
    expect(await sent.text()).toBe('express');
    expect(sessionToken(sent)).toBeDefined();
    expect(await store.count()).toBe(1);

    const ended = await fetch(`${url}/end`);
    expect(await ended.text()).toBe('raw');
    expect(ended.headers.getSetCookie()).toEqual([]);
    expect(await store.count()).toBe(1);
  });

  it('request.sessionManager is the manager given, and request.session is typed', async () => {
    const app = Fastify();
    // A manager typed with the app's data registers as any other.
    const manager = new SessionManager<{ visits: number }>({ store: new MemoryStore() });
    await app.register(sessionPlugin, { manager });
    app.post('/', async (request) => {
      const visits: number | undefined = request.session.get('visits');
      // @ts-expect-error visits is a number
      request.session.set('visits', 'many');
      return { same: request.sessionManager === (manager as unknown), visits: visits ?? null };
    });
    const response = await fetch(await serve(app), { method: 'POST' });
    expect(await response.json()).toEqual({ same: true, visits: null });
  });
});
