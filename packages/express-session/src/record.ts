import {
  CorruptRecordError,
  type SessionCodec,
  type SessionData,
  SessionDataError,
  type SessionRecord,
} from '@sess/core';

/**
 * An express-session session as a sess record, and back.
 *
 * express-session hands a store its `Session` object: the app's keys plus a
 * `cookie` (a `Cookie` instance whose `expires` is a `Date`). The record keeps
 * them as plain data, cookie included, so `get` gives back what `set` was
 * given, `Date`s as `Date`s. The record's expiry is the cookie's.
 *
 * Stored data is one header line, then the codec's payload untouched:
 *
 *   es/1 <codec format>\n<payload>
 */

const HEADER = 'es/1';
const PREFIX = `${HEADER} `;
const FORMAT = /^[A-Za-z0-9._/-]{1,64}$/;

/** The session data a store hands back: plain data, `cookie.expires` a `Date` (or null). */
export type PlainSession = SessionData;

/** What turns sessions into records: the codec, the lifetime of cookies without expiry, the owner. */
export interface RecordRules {
  readonly codec: SessionCodec;
  readonly defaultLifetimeMs: number;
  readonly userIdOf: ((session: PlainSession) => unknown) | undefined;
}

/**
 * The session as plain data: own enumerable keys (a `Session`'s methods, `id`
 * and `req` are not), and a plain cookie whose `expires` is a `Date`. Keys the
 * cookie leaves `undefined` are dropped, as JSON would drop them.
 */
export function plainSession(session: unknown): PlainSession {
  if (typeof session !== 'object' || session === null) {
    throw new SessionDataError('An express-session session must be an object.');
  }
  const { cookie, ...data } = session as Record<string, unknown>;
  if (cookie === undefined || cookie === null) return data;
  return { ...data, cookie: plainCookie(cookie) };
}

function plainCookie(cookie: unknown): Record<string, unknown> {
  if (typeof cookie !== 'object' || cookie === null) {
    throw new SessionDataError('The session cookie must be an object.');
  }
  // express-session's Cookie keeps `expires` behind a getter; its toJSON() gives the fields.
  const toJSON = (cookie as { toJSON?: unknown }).toJSON;
  const fields =
    typeof toJSON === 'function' ? (toJSON.call(cookie) as Record<string, unknown>) : cookie;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out[key] = key === 'expires' ? asDate(value) : value;
  }
  return out;
}

/** `expires` as a Date: JSON stores (connect-redis, connect-pg-simple) give a string. */
function asDate(value: unknown): Date | null {
  if (value instanceof Date) return value;
  if (typeof value === 'string' || typeof value === 'number') return new Date(value);
  return null;
}

/**
 * When the session ends: the cookie's `expires` (an express-session `Cookie`,
 * or plain data), else `now + defaultLifetimeMs`.
 */
export function expiryOf(session: PlainSession, now: number, defaultLifetimeMs: number): number {
  const expires = asDate((session.cookie as { expires?: unknown } | undefined)?.expires);
  const time = expires === null ? Number.NaN : expires.getTime();
  return Number.isFinite(time) ? Math.floor(time) : now + defaultLifetimeMs;
}

/** The owner the app's `userIdOf` names, as a string; undefined when there is none. */
function ownerOf(session: PlainSession, rules: RecordRules): string | undefined {
  const owner = rules.userIdOf?.(session);
  if (owner === undefined || owner === null) return undefined;
  if (typeof owner === 'string' || typeof owner === 'number' || typeof owner === 'bigint') {
    return String(owner);
  }
  throw new SessionDataError(
    `userIdOf must return a string or a number (or nothing for an anonymous session); it returned a ${typeof owner}.`,
  );
}

/** The record for a session (its expiry may already be past: the caller decides). */
export function toRecord(session: PlainSession, now: number, rules: RecordRules): SessionRecord {
  const data = `${PREFIX}${rules.codec.format}\n${rules.codec.encode(session)}`;
  const expiresAt = expiryOf(session, now, rules.defaultLifetimeMs);
  const userId = ownerOf(session, rules);
  return userId === undefined ? { data, expiresAt } : { data, expiresAt, userId };
}

/** The session a record holds; `CorruptRecordError` when it is not one this package wrote. */
export function fromRecord(data: string, codec: SessionCodec): PlainSession {
  const end = data.indexOf('\n');
  if (end === -1 || !data.startsWith(PREFIX)) throw notOurs();
  // Header fields after the format are ignored: later versions may add some.
  const space = data.indexOf(' ', PREFIX.length);
  const format = data.slice(PREFIX.length, space !== -1 && space < end ? space : end);
  if (format !== codec.format && !isValidFormat(format)) throw notOurs();
  try {
    return codec.decode(data.slice(end + 1), format);
  } catch (error) {
    throw new CorruptRecordError('The stored session cannot be decoded.', { cause: error });
  }
}

function notOurs(): CorruptRecordError {
  return new CorruptRecordError('The stored record is not an express-session record (es/1).');
}

/** True when a codec's `format` fits in the header. */
export function isValidFormat(format: unknown): format is string {
  return typeof format === 'string' && FORMAT.test(format);
}

/** The session in a stored record, or null when it cannot be read (the record is left in place). */
export function readSession(data: string, codec: SessionCodec): PlainSession | null {
  try {
    return fromRecord(data, codec);
  } catch {
    return null;
  }
}
