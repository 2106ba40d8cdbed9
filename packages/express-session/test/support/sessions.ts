import { randomBytes } from 'node:crypto';
import { isSessionStoreError } from '@sess/core';
import { Cookie, type SessionData } from 'express-session';
import type { SessStore } from '../../src/index.js';

declare module 'express-session' {
  interface SessionData {
    passport?: { user?: string | number };
    n?: number;
    tag?: number;
  }
}

/** A sid as express-session's default generator makes them: 24 random bytes, base64url. */
export function newSid(): string {
  return randomBytes(24).toString('base64url');
}

/** A session as express-session hands it to a store: data plus a `Cookie` instance. */
export function sessionOf(
  data: Record<string, unknown> = {},
  cookie: { maxAge?: number | null } = { maxAge: 3_600_000 },
): SessionData {
  const jar = new Cookie();
  jar.httpOnly = true;
  jar.path = '/';
  if (typeof cookie.maxAge === 'number') jar.maxAge = cookie.maxAge;
  jar.originalMaxAge = cookie.maxAge ?? null;
  return { ...data, cookie: jar } as SessionData;
}

/** The session as express-session loads it through the store, so the store knows it is stored. */
export function loaded(store: SessStore, sid: string, data: SessionData): SessionData {
  return store.createSession({ sessionID: sid, sessionStore: store } as never, data);
}

/** Asserts a rejection (or callback error) is a sess error with this code. */
export function hasCode(code: string) {
  return (error: unknown) => isSessionStoreError(error) && error.code === code;
}
