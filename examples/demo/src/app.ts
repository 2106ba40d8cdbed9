import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type CommitResult,
  type Session,
  type SessionInfo,
  type SessionManager,
  StoreUnavailableError,
  UnsupportedOperationError,
} from '@sess/core';
import { COOKIE_NAME, clearedCookie, readCookie, sessionCookie } from './cookies.js';
import { homePage } from './pages.js';

/** What the demo keeps in a session. */
export type DemoData = {
  visits: number;
  user: string;
  device: string;
  loginAt: Date;
  flash: string;
};

export interface AppOptions {
  readonly manager: SessionManager<DemoData>;
  /** Shown on the page. */
  readonly storeDescription: string;
  /** Believe `X-Forwarded-Proto` (behind a TLS-terminating proxy). */
  readonly trustProxy: boolean;
}

type Handler = (request: IncomingMessage, session: Session<DemoData>) => Promise<Reply>;

interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

const MAX_FORM_BYTES = 4096;

/** The demo's request handler: every route loads the session, and commits it before replying. */
export function createApp(options: AppOptions) {
  const { manager } = options;

  const home: Handler = async (_request, session) => {
    const visits = (session.get('visits') ?? 0) + 1;
    session.set('visits', visits);
    const flash = session.get('flash');
    if (flash !== undefined) session.delete('flash');
    return html(
      homePage({
        visits,
        user: session.userId,
        flash,
        currentId: session.id,
        sessions: await sessionsOf(session),
        usersSupported: manager.store.capabilities.users,
        store: options.storeDescription,
      }),
    );
  };

  const state: Handler = async (_request, session) =>
    json({
      visits: session.get('visits') ?? 0,
      user: session.userId ?? null,
      sessionId: session.id ?? null,
      sessions: (await sessionsOf(session)).map((s) => ({
        id: s.id,
        current: s.id === session.id,
        device: s.data?.device ?? null,
        createdAt: s.createdAt,
        expiresAt: s.expiresAt,
      })),
    });

  const login: Handler = async (request, session) => {
    const name = new URLSearchParams(await readBody(request)).get('name')?.trim() ?? '';
    if (name.length < 1 || name.length > 64) return text(400, 'A name is 1 to 64 characters.');
    // A new token at login: any token known before (planted by an attacker,
    // seen on a shared machine) is worthless from here on.
    session.regenerate();
    session.userId = name;
    session.set('device', (request.headers['user-agent'] ?? 'unknown device').slice(0, 120));
    session.set('loginAt', new Date());
    return redirect('/');
  };

  const logout: Handler = async (_request, session) => {
    session.destroy();
    return redirect('/');
  };

  const logoutOthers: Handler = async (_request, session) => {
    if (session.userId === undefined) return redirect('/');
    try {
      const count = await manager.destroyForUser(session.userId, { except: session });
      session.set('flash', `Signed out ${count} other session${count === 1 ? '' : 's'}.`);
    } catch (error) {
      if (!(error instanceof UnsupportedOperationError)) throw error;
      session.set('flash', 'This store cannot find sessions by user.');
    }
    return redirect('/');
  };

  const routes: Record<string, Record<string, Handler>> = {
    '/': { GET: home },
    '/state': { GET: state },
    '/login': { POST: login },
    '/logout': { POST: logout },
    '/logout-others': { POST: logoutOthers },
  };

  async function sessionsOf(session: Session<DemoData>): Promise<SessionInfo<DemoData>[]> {
    if (session.userId === undefined) return [];
    try {
      return await manager.listForUser(session.userId, { includeData: true });
    } catch (error) {
      if (error instanceof UnsupportedOperationError) return [];
      throw error;
    }
  }

  return async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const secure = isHttps(request, options.trustProxy);
    try {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      const handler = routes[path]?.[request.method ?? 'GET'];
      if (!handler)
        return send(
          response,
          routes[path] ? text(405, 'Method not allowed.') : text(404, 'Not found.'),
        );
      if (request.method === 'POST' && !sameOrigin(request)) {
        return send(response, text(403, 'Cross-origin form posts are refused.'));
      }
      const session = await manager.load(readCookie(request, COOKIE_NAME));
      const reply = await handler(request, session);
      // Commit before any byte of the response: a redirect never races its own save.
      const cookie = await manager.commit(session);
      send(response, withCookie(reply, cookie, secure));
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        return send(response, text(503, 'The session store is unavailable; try again shortly.'));
      }
      if (error instanceof HttpError) return send(response, text(error.status, error.message));
      // Log the kind of failure only: never session data or tokens.
      console.error(`demo: request failed: ${(error as Error)?.name ?? 'error'}`);
      send(response, text(500, 'Something went wrong.'));
    }
  };
}

function withCookie(reply: Reply, cookie: CommitResult, secure: boolean): Reply {
  if (cookie === null) return reply;
  const header =
    'token' in cookie
      ? sessionCookie(cookie.token, cookie.expiresAt, { secure })
      : clearedCookie({ secure });
  return { ...reply, headers: { ...reply.headers, 'set-cookie': header } };
}

function send(response: ServerResponse, reply: Reply): void {
  response.writeHead(reply.status, {
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...reply.headers,
  });
  response.end(reply.body);
}

const html = (body: string): Reply => ({
  status: 200,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
  },
  body,
});
const json = (value: unknown): Reply => ({
  status: 200,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify(value),
});
const text = (status: number, body: string): Reply => ({
  status,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body,
});
// 303: the browser follows with a GET.
const redirect = (location: string): Reply => ({ status: 303, headers: { location } });

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) throw new HttpError(413, 'The form is too large.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function isHttps(request: IncomingMessage, trustProxy: boolean): boolean {
  if ((request.socket as { encrypted?: boolean }).encrypted) return true;
  return trustProxy && request.headers['x-forwarded-proto'] === 'https';
}

/** A browser sends Origin on POST; when it names another site, the post is refused. */
function sameOrigin(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}
