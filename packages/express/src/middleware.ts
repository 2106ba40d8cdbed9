import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SessionData as AnySessionData, Session, SessionManager } from '@sess/core';
import { SessionHttp, type SessionHttpOptions } from '@sess/http';
import { holdUntilCommitted } from './hold-response.js';

/**
 * The keys your sessions hold, for `req.session`'s types. Augment it:
 *
 * @example
 * declare module '@sess/express' {
 *   interface SessionData {
 *     visits: number;
 *   }
 * }
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the app through declaration merging.
export interface SessionData {}

/**
 * What `req.session` holds: the keys of `SessionData`, typed, and any other
 * key as `unknown`. Every key may be absent: `get` can return `undefined`.
 */
export type RequestSessionData = Partial<SessionData> & AnySessionData;

declare global {
  namespace Express {
    interface Request {
      /**
       * This request's session: the `SessionManager`'s own `Session`.
       * `get`/`set`/`delete`, `regenerate()` at login, `destroy()` at logout,
       * `userId`. Saved before the response's first byte.
       */
      session: Session<RequestSessionData>;
      /** The manager behind `req.session`: `listForUser`, `destroyForUser`. */
      sessionManager: SessionManager<RequestSessionData>;
    }
  }
}

/** `manager` (a `SessionManager` of any data) and `cookie` (see `SessionCookieOptions`). */
export type SessionMiddlewareOptions<Data extends AnySessionData = AnySessionData> =
  SessionHttpOptions<Data>;

type Next = (error?: unknown) => void;

/**
 * Express (4 and 5) and Connect middleware: loads `req.session` from the
 * cookie, and commits it exactly once, before the first byte of the
 * response, whatever sends it (`res.send`, `res.redirect`, streams,
 * `res.sendFile`, error handlers). A store failure while loading or
 * committing goes to `next(err)` as `StoreUnavailableError`, and the answer
 * the error handler sends carries no session cookie. A response with status
 * 500 or more commits nothing. Throws `InvalidOptionError` at once for bad
 * options.
 *
 * @example
 * const app = express();
 * app.use(sessionMiddleware({ manager: new SessionManager({ store }) }));
 * app.get('/', (req, res) => {
 *   req.session.set('visits', (req.session.get('visits') ?? 0) + 1);
 *   res.send(`visit ${req.session.get('visits')}`);
 * });
 */
export function sessionMiddleware<Data extends AnySessionData>(
  options: SessionMiddlewareOptions<Data>,
) {
  const http = new SessionHttp(options);
  // The manager stores whatever keys it is given; SessionData names them for the app.
  const manager = http.manager as unknown as SessionManager<RequestSessionData>;
  return function sessMiddleware(request: IncomingMessage, response: ServerResponse, next: Next) {
    const req = request as IncomingMessage & Partial<Express.Request>;
    void http.open(request.headers.cookie).then((opened) => {
      req.session = opened.session as unknown as Session<RequestSessionData>;
      req.sessionManager = manager;
      holdUntilCommitted(
        response,
        (status) =>
          opened.commitDue(status)
            ? opened.commit({ status, secure: isSecure(request) }).then((cookie) => cookie?.header)
            : undefined,
        next,
      );
      next();
    }, next);
  };
}

/** Express's `req.secure` honours its trust-proxy setting; Connect has only the socket. */
function isSecure(request: IncomingMessage): boolean {
  const secure = (request as { secure?: unknown }).secure;
  if (typeof secure === 'boolean') return secure;
  return (request.socket as { encrypted?: boolean }).encrypted === true;
}
