import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  InvalidOptionError,
  MemoryStore,
  SessionManager,
  type SessionRecord,
  sessionIdOf,
} from '@sess/core';
import { listenOnLoopback } from '@sess/http/conformance';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { sessionMiddleware } from '../src/index.js';

declare module '../src/index.js' {
  interface SessionData {
    visits: number;
  }
}

/** A MemoryStore whose writes take 50 ms, as a store across a slow network does. */
class SlowStore extends MemoryStore {
  override async create(id: string, record: SessionRecord) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    return super.create(id, record);
  }
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function serve(app: express.Express): Promise<string> {
  const running = await listenOnLoopback(createServer(app));
  closers.push(running.close);
  return running.url;
}

function tokenOf(response: Response): string {
  const [setCookie] = response.headers.getSetCookie().filter((c) => c.startsWith('sess='));
  const token = /^sess=([^;]*)/.exec(setCookie ?? '')?.[1];
  if (!token) throw new Error('no session cookie');
  return token;
}

describe('@sess/express', () => {
  it('refuses bad options when the app is built, not on the first request', () => {
    const manager = new SessionManager({ store: new MemoryStore() });
    expect(() =>
      sessionMiddleware({ manager, cookie: { name: '__Host-sess', domain: 'example.com' } }),
    ).toThrow(InvalidOptionError);
    expect(() => sessionMiddleware({} as never)).toThrow(InvalidOptionError);
  });

  it('res.sendFile: the file arrives whole, with the cookie, after the store acknowledged', async () => {
    const store = new SlowStore();
    const file = join(tmpdir(), `sess-express-${process.pid}.txt`);
    const content = 'x'.repeat(1 << 20);
    await writeFile(file, content);
    const app = express();
    app.use(sessionMiddleware({ manager: new SessionManager({ store }) }));
    app.get('/file', (req, res) => {
      req.session.set('visits', 1);
      res.sendFile(file);
    });
    const response = await fetch(`${await serve(app)}/file`);
    // Headers are here: the record must be stored already.
    expect(await store.get(sessionIdOf(tokenOf(response)))).not.toBeNull();
    expect(await response.text()).toBe(content);
  });

  it('a piped stream that fills the socket is held, then flows to the end', async () => {
    const app = express();
    app.use(sessionMiddleware({ manager: new SessionManager({ store: new SlowStore() }) }));
    const chunk = 'y'.repeat(64 * 1024);
    app.get('/big', (req, res) => {
      req.session.set('visits', 1);
      res.type('text/plain');
      Readable.from(Array.from({ length: 64 }, () => chunk)).pipe(res);
    });
    const response = await fetch(`${await serve(app)}/big`);
    expect(tokenOf(response)).toMatch(/^[\w-]{43}$/);
    expect((await response.text()).length).toBe(64 * chunk.length);
  });

  it('writeHead with its own Set-Cookie keeps both cookies', async () => {
    const app = express();
    app.use(sessionMiddleware({ manager: new SessionManager({ store: new MemoryStore() }) }));
    app.get('/raw', (req, res) => {
      req.session.set('visits', 1);
      res.setHeader('set-cookie', 'early=1');
      res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': 'theme=dark' });
      res.write('a');
      res.end('b');
    });
    const response = await fetch(`${await serve(app)}/raw`);
    const cookies = response.headers.getSetCookie().map((c) => c.split('=')[0]);
    expect(cookies).toEqual(['theme', 'sess']);
    expect(await response.text()).toBe('ab');
  });

  it('without an error handler of its own, a store outage answers 500 with no cookie', async () => {
    const store = new MemoryStore();
    const app = express();
    app.use(sessionMiddleware({ manager: new SessionManager({ store }) }));
    app.post('/visit', (req, res) => {
      req.session.set('visits', (req.session.get('visits') ?? 0) + 1);
      res.send('ok');
    });
    const url = await serve(app);
    const first = await fetch(`${url}/visit`, { method: 'POST' });
    const cookie = `sess=${tokenOf(first)}`;
    await store.close();
    for (const method of ['POST', 'GET']) {
      const response = await fetch(`${url}/visit`, { method, headers: { cookie } });
      expect(response.status).toBe(500);
      expect(response.headers.getSetCookie()).toEqual([]);
    }
  });

  it('req.sessionManager is the manager given', async () => {
    const app = express();
    // A manager typed with the app's data is taken as any other.
    const manager = new SessionManager<{ visits: number }>({ store: new MemoryStore() });
    app.use(sessionMiddleware({ manager }));
    app.get('/', (req, res) => {
      res.json({ same: req.sessionManager === (manager as unknown) });
    });
    expect(await (await fetch(await serve(app))).json()).toEqual({ same: true });
  });

  it('types req.session from the augmented SessionData', async () => {
    const app = express();
    app.use(sessionMiddleware({ manager: new SessionManager({ store: new MemoryStore() }) }));
    app.get('/', (req, res) => {
      const visits: number | undefined = req.session.get('visits');
      // @ts-expect-error visits is a number
      req.session.set('visits', 'many');
      const other: unknown = req.session.get('anything');
      res.json({ visits, other });
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    server.close();
  });
});
