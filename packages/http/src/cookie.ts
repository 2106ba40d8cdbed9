import { type CommitResult, InvalidOptionError } from '@sess/core';
import { type OptionKeys, rejectUnknownOptions } from '@sess/core/store-kit';
import { parseCookie, type SetCookie, stringifySetCookie } from 'cookie';

/**
 * The session cookie's attributes. Its expiry is never an option: it is the
 * stored expiry, or none for a session set to `persistent: false`.
 */
export interface SessionCookieOptions {
  /**
   * The cookie's name. Default `sess`. A name starting with `__Host-` makes
   * the cookie `Secure`, host-only and `Path=/` (browsers enforce it, and a
   * sibling subdomain cannot plant one); `__Secure-` makes it `Secure`.
   */
  readonly name?: string;
  /** Default `/`. Must start with `/`. */
  readonly path?: string;
  /** Default: none, a host-only cookie. Not allowed with a `__Host-` name. */
  readonly domain?: string;
  /** Default `lax`: sent on links into the site, left off cross-site posts. `none` needs `Secure`. */
  readonly sameSite?: 'lax' | 'strict' | 'none';
  /**
   * Default `auto`: `Secure` when the request came over HTTPS, as the
   * framework reports it (its trust-proxy setting decides whether
   * `X-Forwarded-Proto` counts). `true` always, `false` never (refused with a
   * `__Host-`/`__Secure-` name, `partitioned` or `sameSite: 'none'`).
   */
  readonly secure?: boolean | 'auto';
  /** `Partitioned` (CHIPS), for a site embedded in other sites. Implies `Secure`. Default false. */
  readonly partitioned?: boolean;
}

/** A `Set-Cookie` to send: its parts, and the whole header value. */
export interface SessionSetCookie {
  readonly name: string;
  /** The token; empty when the cookie is cleared. */
  readonly value: string;
  /**
   * The stored expiry (the header carries whole seconds: never later than the
   * record), or 400 days from now if that is sooner, as browsers cap it; the
   * epoch when cleared. Absent for a browser-session cookie (a session set
   * to `persistent: false`): the browser drops it when it closes.
   */
  readonly expires?: Date;
  /** Only when clearing: 0. */
  readonly maxAge?: 0;
  readonly path: string;
  readonly domain?: string;
  readonly httpOnly: true;
  readonly secure: boolean;
  readonly sameSite: 'lax' | 'strict' | 'none';
  readonly partitioned: boolean;
  /** The `Set-Cookie` header value. */
  readonly header: string;
}

/** Browsers keep a cookie 400 days at most (RFC 6265bis §5.5); a later expiry is cut to that. */
export const MAX_COOKIE_LIFETIME_MS = 400 * 24 * 3_600_000;

const COOKIE_OPTIONS: OptionKeys<SessionCookieOptions> = {
  name: true,
  path: true,
  domain: true,
  sameSite: true,
  secure: true,
  partitioned: true,
};
const SAME_SITE = new Set(['lax', 'strict', 'none']);

/** Why an option cannot be given: the cookie's lifetime and HttpOnly are not choices. */
const REFUSED_OPTIONS: Record<string, string> = {
  httpOnly: 'The session cookie is always HttpOnly: scripts never read the token.',
  maxAge:
    'The cookie expires with the stored session: set idleTimeoutMs and absoluteTimeoutMs on the SessionManager.',
  expires:
    'The cookie expires with the stored session: set idleTimeoutMs and absoluteTimeoutMs on the SessionManager.',
};

/**
 * The session cookie: its options, checked once at start-up, how a request's
 * `Cookie` header yields the token, and how a `CommitResult` becomes a
 * `Set-Cookie`.
 *
 * @example
 * const cookie = new SessionCookie({ name: '__Host-sess' });
 * const token = cookie.read(request.headers.cookie);
 * const set = cookie.toSetCookie(await manager.commit(session), { secure: true });
 * if (set) response.setHeader('set-cookie', set.header);
 */
export class SessionCookie {
  readonly name: string;
  readonly path: string;
  readonly domain: string | undefined;
  readonly sameSite: 'lax' | 'strict' | 'none';
  readonly secure: boolean | 'auto';
  readonly partitioned: boolean;
  /** `Secure` whatever the request: the name's prefix, `partitioned` or `SameSite=None` need it. */
  readonly #alwaysSecure: boolean;

  /** Throws `InvalidOptionError` for options a browser would reject or that cannot work. */
  constructor(options: SessionCookieOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionError('Cookie options must be an object.');
    }
    for (const key of Object.keys(options)) {
      if (REFUSED_OPTIONS[key]) throw new InvalidOptionError(REFUSED_OPTIONS[key]);
    }
    rejectUnknownOptions(options, COOKIE_OPTIONS, 'The session cookie');
    this.name = options.name ?? 'sess';
    this.path = options.path ?? '/';
    this.domain = options.domain;
    this.sameSite = options.sameSite ?? 'lax';
    this.secure = options.secure ?? 'auto';
    this.partitioned = options.partitioned ?? false;

    if (typeof this.name !== 'string' || this.name.length === 0) {
      throw new InvalidOptionError('cookie.name must be a non-empty string.');
    }
    if (typeof this.path !== 'string' || !this.path.startsWith('/')) {
      throw new InvalidOptionError('cookie.path must start with "/".');
    }
    if (this.domain !== undefined && (typeof this.domain !== 'string' || this.domain === '')) {
      throw new InvalidOptionError('cookie.domain must be a host name.');
    }
    if (!SAME_SITE.has(this.sameSite)) {
      throw new InvalidOptionError('cookie.sameSite must be "lax", "strict" or "none".');
    }
    if (this.secure !== true && this.secure !== false && this.secure !== 'auto') {
      throw new InvalidOptionError('cookie.secure must be true, false or "auto".');
    }
    if (typeof this.partitioned !== 'boolean') {
      throw new InvalidOptionError('cookie.partitioned must be a boolean.');
    }

    // Prefixes are matched without regard to case, as browsers now do.
    const hostPrefix = /^__host-/i.test(this.name);
    const securePrefix = /^__secure-/i.test(this.name);
    if (hostPrefix && (this.domain !== undefined || this.path !== '/')) {
      throw new InvalidOptionError(
        'A "__Host-" cookie must be host-only with Path=/: remove cookie.domain and cookie.path.',
      );
    }
    const needsSecure = hostPrefix
      ? 'a "__Host-" name'
      : securePrefix
        ? 'a "__Secure-" name'
        : this.partitioned
          ? 'partitioned'
          : this.sameSite === 'none'
            ? 'sameSite "none"'
            : undefined;
    if (needsSecure && this.secure === false) {
      throw new InvalidOptionError(
        `cookie.secure cannot be false with ${needsSecure}: browsers drop such a cookie.`,
      );
    }
    this.#alwaysSecure = needsSecure !== undefined;

    // The cookie library is the judge of what a name, path and domain may hold.
    try {
      stringifySetCookie(this.#attributes(this.name, 'x', new Date(0), true));
    } catch (error) {
      throw new InvalidOptionError(`Invalid cookie option: ${(error as Error).message}.`, {
        cause: error,
      });
    }
  }

  /**
   * The token a request's `Cookie` header carries, or undefined. A header
   * holding this cookie twice with different values yields undefined: the
   * header does not say which path or domain each came from, so neither is
   * trusted (see the README). Garbage is returned as is: `SessionManager.load`
   * turns anything that is not a well-formed token into a fresh session
   * without asking the store.
   */
  read(header: string | null | undefined): string | undefined {
    if (typeof header !== 'string' || !header.includes(this.name)) return undefined;
    let token: string | undefined;
    // parseCookie keeps the first of two same-named cookies; to see every
    // one, each `;`-separated pair (RFC 6265 §4.2.1) is parsed on its own.
    for (const pair of header.split(';')) {
      if (!pair.includes(this.name)) continue;
      const value = parseCookie(pair, { decode: verbatim })[this.name];
      if (value === undefined) continue;
      if (token !== undefined && value !== token) return undefined;
      token = value;
    }
    return token;
  }

  /**
   * The `Set-Cookie` a commit calls for, or undefined when none: a token
   * expiring at the stored expiry, or a cleared cookie after a logout.
   * `secure` says whether the request came over HTTPS.
   */
  toSetCookie(
    result: CommitResult,
    request: { readonly secure: boolean },
  ): SessionSetCookie | undefined {
    if (result === null) return undefined;
    const secure =
      this.secure === true || (this.secure === 'auto' && (request.secure || this.#alwaysSecure));
    const set = !('token' in result)
      ? { ...this.#attributes(this.name, '', new Date(0), secure), maxAge: 0 as const }
      : result.persistent === false
        ? this.#attributes(this.name, result.token, undefined, secure)
        : this.#attributes(this.name, result.token, cookieExpiry(result.expiresAt), secure);
    return { ...set, header: stringifySetCookie(set, { encode: verbatim }) };
  }

  #attributes(name: string, value: string, expires: Date | undefined, secure: boolean) {
    return {
      name,
      value,
      ...(expires === undefined ? {} : { expires }),
      path: this.path,
      ...(this.domain === undefined ? {} : { domain: this.domain }),
      httpOnly: true as const,
      secure,
      sameSite: this.sameSite,
      partitioned: this.partitioned,
    } satisfies SetCookie;
  }
}

function cookieExpiry(expiresAt: number): Date {
  return new Date(Math.min(expiresAt, Date.now() + MAX_COOKIE_LIFETIME_MS));
}

// Tokens are base64url: nothing to encode or decode, and a value that needs
// decoding is not a token.
const verbatim = (value: string): string => value;
