import { InvalidOptionError } from '@sess/core';
import { describe, expect, it } from 'vitest';
import { MAX_COOKIE_LIFETIME_MS, SessionCookie, type SessionCookieOptions } from '../src/index.js';

const TOKEN = 'A'.repeat(43);
// Ten days ahead, with milliseconds the header must drop.
const EXPIRES = Math.floor(Date.now() / 1000) * 1000 + 10 * 86_400_000 + 678;
const EXPIRES_HTTP = new Date(EXPIRES).toUTCString();

describe('SessionCookie options', () => {
  it('defaults to sess, Path=/, HttpOnly, SameSite=Lax, Secure only over HTTPS', () => {
    const cookie = new SessionCookie();
    const plain = cookie.toSetCookie({ token: TOKEN, expiresAt: EXPIRES }, { secure: false });
    expect(plain?.header).toBe(
      `sess=${TOKEN}; Path=/; Expires=${EXPIRES_HTTP}; HttpOnly; SameSite=Lax`,
    );
    const https = cookie.toSetCookie({ token: TOKEN, expiresAt: EXPIRES }, { secure: true });
    expect(https?.header).toContain('; Secure');
  });

  it.each<[string, SessionCookieOptions]>([
    ['__Host- with a Domain', { name: '__Host-sess', domain: 'example.com' }],
    ['__Host- with a Path other than /', { name: '__Host-sess', path: '/app' }],
    ['__Host- (any case) with a Domain', { name: '__host-sess', domain: 'example.com' }],
    ['__Host- without Secure', { name: '__Host-sess', secure: false }],
    ['__Secure- without Secure', { name: '__Secure-sess', secure: false }],
    ['Partitioned without Secure', { partitioned: true, secure: false }],
    ['SameSite=None without Secure', { sameSite: 'none', secure: false }],
    ['a name with a space', { name: 'my sess' }],
    ['a name with =', { name: 'a=b' }],
    ['an empty name', { name: '' }],
    ['a path not starting with /', { path: 'app' }],
    ['a path with ;', { path: '/a;b' }],
    ['a domain with a space', { domain: 'exa mple.com' }],
    ['an unknown SameSite', { sameSite: 'sometimes' as 'lax' }],
    ['a Secure that is not a boolean or auto', { secure: 'yes' as 'auto' }],
    ['httpOnly, which is always on', { httpOnly: false } as SessionCookieOptions],
    ['maxAge, which is the stored expiry', { maxAge: 60 } as SessionCookieOptions],
    ['an unknown option', { sign: true } as SessionCookieOptions],
  ])('refuses %s with InvalidOptionError', (_, options) => {
    expect(() => new SessionCookie(options)).toThrow(InvalidOptionError);
  });

  it('a __Host- name, partitioned or SameSite=None is always Secure under secure: auto', () => {
    for (const options of [
      { name: '__Host-sess' },
      { name: '__Secure-sess' },
      { partitioned: true },
      { sameSite: 'none' as const },
    ]) {
      const set = new SessionCookie(options).toSetCookie(
        { token: TOKEN, expiresAt: EXPIRES },
        { secure: false },
      );
      expect(set?.secure, JSON.stringify(options)).toBe(true);
    }
  });

  it('secure: true and false hold whatever the request', () => {
    const result = { token: TOKEN, expiresAt: EXPIRES };
    expect(new SessionCookie({ secure: true }).toSetCookie(result, { secure: false })?.secure).toBe(
      true,
    );
    expect(new SessionCookie({ secure: false }).toSetCookie(result, { secure: true })?.secure).toBe(
      false,
    );
  });

  it('writes Domain, Path, SameSite=Strict and Partitioned when asked', () => {
    const cookie = new SessionCookie({
      name: 'app',
      domain: 'example.com',
      path: '/app',
      sameSite: 'strict',
      partitioned: true,
    });
    const set = cookie.toSetCookie({ token: TOKEN, expiresAt: EXPIRES }, { secure: true });
    expect(set?.header).toBe(
      `app=${TOKEN}; Domain=example.com; Path=/app; Expires=${EXPIRES_HTTP}; HttpOnly; Secure; Partitioned; SameSite=Strict`,
    );
  });
});

describe('SessionCookie.toSetCookie', () => {
  const cookie = new SessionCookie();

  it('sends nothing for a null commit', () => {
    expect(cookie.toSetCookie(null, { secure: false })).toBeUndefined();
  });

  it('expires with the stored session, in whole seconds, never after it', () => {
    const set = cookie.toSetCookie({ token: TOKEN, expiresAt: EXPIRES }, { secure: false });
    expect(set?.expires?.getTime()).toBe(EXPIRES);
    expect(set?.maxAge).toBeUndefined();
    // The header carries seconds: the browser drops the cookie up to 1 s before the record.
    expect(Date.parse(/Expires=([^;]+)/.exec(set?.header ?? '')?.[1] ?? '')).toBe(
      Math.floor(EXPIRES / 1000) * 1000,
    );
  });

  it('gives a session set to persistent: false a browser-session cookie, without Expires or Max-Age', () => {
    const set = cookie.toSetCookie(
      { token: TOKEN, expiresAt: EXPIRES, persistent: false },
      { secure: false },
    );
    expect(set?.header).toBe(`sess=${TOKEN}; Path=/; HttpOnly; SameSite=Lax`);
    expect(set?.expires).toBeUndefined();
    expect(set?.maxAge).toBeUndefined();
  });

  it('cuts an expiry beyond 400 days to 400 days, as browsers do', () => {
    const far = Date.now() + 2 * MAX_COOKIE_LIFETIME_MS;
    const set = cookie.toSetCookie({ token: TOKEN, expiresAt: far }, { secure: false });
    const expires = set?.expires?.getTime() ?? 0;
    expect(expires).toBeLessThanOrEqual(Date.now() + MAX_COOKIE_LIFETIME_MS);
    expect(expires).toBeGreaterThan(Date.now() + MAX_COOKIE_LIFETIME_MS - 60_000);
  });

  it('clears the cookie with the same Path and Domain after a logout', () => {
    const scoped = new SessionCookie({ domain: 'example.com', path: '/app' });
    const set = scoped.toSetCookie({ clear: true }, { secure: false });
    expect(set?.header).toBe(
      'sess=; Max-Age=0; Domain=example.com; Path=/app; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax',
    );
    expect(set?.value).toBe('');
  });
});

describe('SessionCookie.read', () => {
  const cookie = new SessionCookie();

  it.each([
    [undefined, undefined],
    [null, undefined],
    ['', undefined],
    ['theme=dark', undefined],
    [`sess=${TOKEN}`, TOKEN],
    [`theme=dark; sess=${TOKEN}; lang=en`, TOKEN],
    [`  sess = ${TOKEN} `, TOKEN],
    [`mysess=x; sess_old=y; sess=${TOKEN}`, TOKEN],
    ['sess=%41%42', '%41%42'],
    ['sess=', ''],
  ])('reads %j as %j', (header, expected) => {
    expect(cookie.read(header)).toBe(expected);
  });

  it('reads a cookie sent twice with the same value', () => {
    expect(cookie.read(`sess=${TOKEN}; theme=dark; sess=${TOKEN}`)).toBe(TOKEN);
  });

  it('trusts neither of two different values, in either order', () => {
    const other = 'B'.repeat(43);
    expect(cookie.read(`sess=${TOKEN}; sess=${other}`)).toBeUndefined();
    expect(cookie.read(`sess=${other}; sess=${TOKEN}`)).toBeUndefined();
  });

  it('reads its own name only', () => {
    expect(new SessionCookie({ name: '__Host-sess' }).read(`sess=x; __Host-sess=${TOKEN}`)).toBe(
      TOKEN,
    );
  });
});
