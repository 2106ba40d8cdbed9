import {
  InvalidOptionError,
  type Session,
  type SessionData,
  type SessionManager,
} from '@sess/core';
import { type OptionKeys, rejectUnknownOptions } from '@sess/core/store-kit';
import { SessionCookie, type SessionCookieOptions, type SessionSetCookie } from './cookie.js';

export interface SessionHttpOptions<Data extends SessionData = SessionData> {
  /** The session lifecycle: store, timeouts, codec. */
  readonly manager: SessionManager<Data>;
  /** The cookie's name and attributes. */
  readonly cookie?: SessionCookieOptions;
}

const SESSION_HTTP_OPTIONS: OptionKeys<SessionHttpOptions> = {
  manager: true,
  cookie: true,
};

/** What a response is about to be, when the session commits. */
export interface ResponseFacts {
  /** The response's status code. 500 or more commits nothing. */
  readonly status: number;
  /** True when the request came over HTTPS, as the framework reports it. */
  readonly secure: boolean;
}

/**
 * What a framework glue needs around a `SessionManager`: load the session a
 * request's cookie names, and commit it, once, before the response goes out.
 * Options are checked when it is built, so a glue fails at start-up, not on
 * the first request.
 *
 * @example
 * const http = new SessionHttp({ manager, cookie: { name: '__Host-sess' } });
 *
 * // per request:
 * const opened = await http.open(request.headers.cookie);
 * opened.session.set('visits', (opened.session.get('visits') ?? 0) + 1);
 * const setCookie = await opened.commit({ status: 200, secure: true });
 * if (setCookie) response.setHeader('set-cookie', setCookie.header);
 */
export class SessionHttp<Data extends SessionData = SessionData> {
  readonly manager: SessionManager<Data>;
  readonly cookie: SessionCookie;

  constructor(options: SessionHttpOptions<Data>) {
    const manager = options?.manager;
    if (typeof manager?.load !== 'function' || typeof manager.commit !== 'function') {
      throw new InvalidOptionError(
        'A sess glue needs `manager`: a SessionManager from @sess/core.',
      );
    }
    rejectUnknownOptions(options, SESSION_HTTP_OPTIONS, 'SessionHttp');
    this.manager = manager;
    this.cookie = new SessionCookie(options.cookie);
  }

  /**
   * Loads the session of a request from its `Cookie` header. Rejects only
   * when the store does (`StoreUnavailableError`): a missing, garbage,
   * oversized, unknown or ambiguous cookie gives a fresh session.
   */
  async open(cookieHeader: string | null | undefined): Promise<RequestSession<Data>> {
    const session = await this.manager.load(this.cookie.read(cookieHeader));
    return new RequestSession(this, session);
  }
}

/** One request's session, and the one commit that ends it. */
export class RequestSession<Data extends SessionData = SessionData> {
  readonly session: Session<Data>;
  readonly #http: SessionHttp<Data>;
  #commit: Promise<unknown> | undefined;

  /** @internal Built by `SessionHttp.open`. */
  constructor(http: SessionHttp<Data>, session: Session<Data>) {
    this.#http = http;
    this.session = session;
  }

  /** True once `commit` has been called. */
  get committed(): boolean {
    return this.#commit !== undefined;
  }

  /**
   * False when `commit` would do nothing (no store call, no cookie): the
   * session is unchanged and its renewal is not due, the commit has run
   * already, or `status` is 500 or more. The response can then go out
   * without waiting for a commit.
   */
  commitDue(status: number): boolean {
    return this.#commit === undefined && status < 500 && this.#http.manager.commitDue(this.session);
  }

  /**
   * Saves the session and says which `Set-Cookie` to send, if any. Call it
   * before the first byte of the response. Only the first call commits: later
   * ones resolve to undefined once it has settled. A response of status 500
   * or more commits nothing: the request failed, and what it half did stays
   * unsaved. Rejects as `SessionManager.commit` does (`StoreUnavailableError`
   * when the store is down): send the framework's error response instead,
   * without the cookie.
   */
  commit(response: ResponseFacts): Promise<SessionSetCookie | undefined> {
    if (this.#commit !== undefined) {
      return this.#commit.then(
        () => undefined,
        () => undefined,
      );
    }
    if (response.status >= 500) {
      this.#commit = Promise.resolve();
      return Promise.resolve(undefined);
    }
    const { manager, cookie } = this.#http;
    const done = manager
      .commit(this.session)
      .then((result) => cookie.toSetCookie(result, { secure: response.secure }));
    this.#commit = done;
    return done;
  }
}
