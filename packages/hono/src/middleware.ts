import {
  type SessionData as AnySessionData,
  InvalidOptionError,
  type Session,
  type SessionManager,
} from '@sess/core';
import { type OptionKeys, rejectUnknownOptions } from '@sess/core/store-kit';
import { SessionHttp, type SessionHttpOptions } from '@sess/http';
import type { Context, MiddlewareHandler } from 'hono';
import { setCookie } from 'hono/cookie';

/**
 * The Hono environment the middleware provides: `c.get('session')` and
 * `c.get('sessionManager')`, typed with the data of your `SessionManager`.
 *
 * @example
 * type Data = { visits: number };
 * const manager = new SessionManager<Data>({ store });
 * const app = new Hono<SessionEnv<Data>>();
 * app.use(sessionMiddleware({ manager }));
 */
export type SessionEnv<Data extends AnySessionData = AnySessionData> = {
  Variables: SessionVariables<Data>;
};

export interface SessionVariables<Data extends AnySessionData = AnySessionData> {
  /**
   * This request's session: the `SessionManager`'s own `Session`.
   * `get`/`set`/`delete`, `regenerate()` at login, `destroy()` at logout,
   * `userId`. Saved once the handlers are done, before the response leaves.
   */
  session: Session<Data>;
  /** The manager behind the session: `listForUser`, `destroyForUser`. */
  sessionManager: SessionManager<Data>;
}

export interface SessionMiddlewareOptions<Data extends AnySessionData = AnySessionData>
  extends SessionHttpOptions<Data> {
  /**
   * Believe `X-Forwarded-Proto` (its first value) for `Secure`: set it when
   * the app is reachable only through a TLS-terminating proxy that sets the
   * header. Default false: only the request's own URL counts.
   */
  readonly trustProxy?: boolean;
}

const MIDDLEWARE_OPTIONS: OptionKeys<SessionMiddlewareOptions> = {
  manager: true,
  cookie: true,
  trustProxy: true,
};

/**
 * Hono middleware: loads the session from the cookie, runs the handlers, and
 * commits once before the response leaves the middleware; the cookie is set
 * with `hono/cookie`. A store failure while loading or committing reaches
 * `app.onError` as `StoreUnavailableError`, and the response it makes
 * carries no session cookie. A response with status 500 or more commits
 * nothing. Throws `InvalidOptionError` at once for bad options.
 *
 * @example
 * const manager = new SessionManager<{ visits: number }>({ store });
 * const app = new Hono<SessionEnv<{ visits: number }>>();
 * app.use(sessionMiddleware({ manager }));
 * app.get('/', (c) => {
 *   const session = c.get('session');
 *   session.set('visits', (session.get('visits') ?? 0) + 1);
 *   return c.text(`visit ${session.get('visits')}`);
 * });
 */
export function sessionMiddleware<Data extends AnySessionData = AnySessionData>(
  options: SessionMiddlewareOptions<Data>,
): MiddlewareHandler<SessionEnv<Data>> {
  rejectUnknownOptions(options, MIDDLEWARE_OPTIONS, 'sessionMiddleware');
  const { trustProxy = false, ...httpOptions } = options;
  if (typeof trustProxy !== 'boolean') {
    throw new InvalidOptionError('trustProxy must be a boolean.');
  }
  const http = new SessionHttp(httpOptions);
  return async (c, next) => {
    const opened = await http.open(c.req.header('cookie'));
    c.set('session', opened.session);
    c.set('sessionManager', http.manager);
    await next();
    if (!opened.commitDue(c.res.status)) return;
    const cookie = await opened.commit({ status: c.res.status, secure: isHttps(c, trustProxy) });
    if (cookie) {
      const { name, value, header: _, ...attributes } = cookie;
      setCookie(c, name, value, attributes);
    }
  };
}

function isHttps(c: Context, trustProxy: boolean): boolean {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-proto');
    if (forwarded !== undefined) return forwarded.split(',')[0]?.trim() === 'https';
  }
  return new URL(c.req.url).protocol === 'https:';
}
