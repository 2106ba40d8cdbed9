import type { SessionData as AnySessionData, Session, SessionManager } from '@sess/core';
import { type OptionKeys, rejectUnknownOptions } from '@sess/core/store-kit';
import { type RequestSession, SessionHttp, type SessionHttpOptions } from '@sess/http';
import type { FastifyInstance, FastifyRequest, RegisterOptions } from 'fastify';
import fp from 'fastify-plugin';

/**
 * The keys your sessions hold, for `request.session`'s types. Augment it:
 *
 * @example
 * declare module '@sess/fastify' {
 *   interface SessionData {
 *     visits: number;
 *   }
 * }
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the app through declaration merging.
export interface SessionData {}

/**
 * What `request.session` holds: the keys of `SessionData`, typed, and any
 * other key as `unknown`. Every key may be absent: `get` can return `undefined`.
 */
export type RequestSessionData = Partial<SessionData> & AnySessionData;

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * This request's session: the `SessionManager`'s own `Session`.
     * `get`/`set`/`delete`, `regenerate()` at login, `destroy()` at logout,
     * `userId`. Saved in `onSend`, before the reply's first byte.
     */
    session: Session<RequestSessionData>;
    /** The manager behind `request.session`: `listForUser`, `destroyForUser`. */
    sessionManager: SessionManager<RequestSessionData>;
    /**
     * For a reply Fastify does not send (`reply.hijack()`): commits the
     * session now and returns the `Set-Cookie` header value to write, if any.
     * Only the first commit of a request saves.
     */
    commitSession(): Promise<string | undefined>;
  }
}

/** `manager` (a `SessionManager` of any data) and `cookie` (see `SessionCookieOptions`). */
export type SessionPluginOptions<Data extends AnySessionData = AnySessionData> =
  SessionHttpOptions<Data>;

// Fastify hands a plugin the options of its own `register` call too.
const PLUGIN_OPTIONS: OptionKeys<SessionPluginOptions & RegisterOptions> = {
  manager: true,
  cookie: true,
  prefix: true,
  logLevel: true,
  logSerializers: true,
};

const kOpened = Symbol('sess.opened');
type WithOpened = FastifyRequest & { [kOpened]: RequestSession | null };

// Generic, so that `register` takes a manager of any data type.
async function plugin<Data extends AnySessionData>(
  fastify: FastifyInstance,
  options: SessionPluginOptions<Data>,
): Promise<void> {
  rejectUnknownOptions(options, PLUGIN_OPTIONS, 'the sess Fastify plugin');
  const { manager: given, cookie } = options;
  const http = new SessionHttp(
    cookie === undefined ? { manager: given } : { manager: given, cookie },
  );
  // The manager stores whatever keys it is given; SessionData names them for the app.
  const manager = http.manager as unknown as SessionManager<RequestSessionData>;

  fastify.decorateRequest('session', null as unknown as Session<RequestSessionData>);
  fastify.decorateRequest(kOpened, null);
  fastify.decorateRequest('sessionManager', {
    getter: () => manager,
  });
  fastify.decorateRequest('commitSession', async function commitSession(this: FastifyRequest) {
    const opened = (this as WithOpened)[kOpened];
    const cookie = await opened?.commit({ status: 200, secure: this.protocol === 'https' });
    return cookie?.header;
  });

  fastify.addHook('onRequest', async (request) => {
    const opened = await http.open(request.headers.cookie);
    (request as WithOpened)[kOpened] = opened as unknown as RequestSession;
    request.session = opened.session as unknown as Session<RequestSessionData>;
  });

  // onSend runs before the headers are written, for every reply Fastify
  // sends (streams included), and again for the error reply when the commit
  // fails: that second run finds the commit done and adds nothing. A callback
  // hook, so that a reply whose session has nothing to save goes on at once.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const opened = (request as WithOpened)[kOpened];
    if (!opened?.commitDue(reply.statusCode)) {
      done(null, payload);
      return;
    }
    void opened
      .commit({ status: reply.statusCode, secure: request.protocol === 'https' })
      .then((cookie) => {
        // Fastify appends Set-Cookie values; @fastify/cookie merges with
        // them, whichever hook runs first.
        if (cookie) reply.header('set-cookie', cookie.header);
      })
      .then(
        () => done(null, payload),
        (error: Error) => done(error),
      );
  });
}

/**
 * The Fastify 5 plugin: loads `request.session` from the cookie in
 * `onRequest` and commits it once in `onSend`, before the reply's first
 * byte. A store failure while loading or committing reaches Fastify's error
 * handler as `StoreUnavailableError`, and its reply carries no session
 * cookie. A reply with status 500 or more commits nothing. It needs no other
 * plugin and works beside `@fastify/cookie`, registered before or after.
 * Bad options reject `register` with `InvalidOptionError`.
 *
 * @example
 * const app = Fastify();
 * await app.register(sessionPlugin, { manager: new SessionManager({ store }) });
 * app.get('/', async (request) => {
 *   request.session.set('visits', (request.session.get('visits') ?? 0) + 1);
 *   return { visits: request.session.get('visits') };
 * });
 */
export const sessionPlugin = fp(plugin, { fastify: '5.x', name: '@sess/fastify' });
