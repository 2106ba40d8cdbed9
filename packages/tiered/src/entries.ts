import type { StoredSession } from '@sess/core';

/**
 * What the cache holds under a session id. The cache is itself a session
 * store, so each entry is an opaque string in a cache record; the cache
 * record's own version is what fills and releases compare-and-set against.
 *
 * - `value`: the durable store's current record, its version included.
 * - `mark`: writers are (or were) changing the record. `writers` lists the
 *   tokens of the writes in flight; an empty list is a reader's lease (or
 *   what the last writer left), which the next reader may take over.
 * - `foreign`: anything else (another program's key, damage). Never served.
 */
export type CacheEntry =
  | { readonly kind: 'value'; readonly record: StoredSession }
  | { readonly kind: 'mark'; readonly writers: readonly string[] }
  | { readonly kind: 'foreign' };

const VALUE = 'v1:';
const MARK = 'm1:';
const FOREIGN: CacheEntry = Object.freeze({ kind: 'foreign' });

/** Longest durable version a cached value carries; a longer one is not cached. */
export const MAX_CACHED_VERSION_LENGTH = 128;

/**
 * Bytes a cached value adds to the payload: the header (under 48 bytes),
 * the version and the user id (256 UTF-16 units, at most 768 UTF-8 bytes).
 * The store's `maxPayloadBytes` leaves this much room in the cache's.
 */
export const VALUE_OVERHEAD_BYTES = 1024;

/**
 * `v1:<expiresAt>:<version length>:<user id length, or empty>\n` then the
 * version, the user id and the data, back to back: lengths instead of
 * escaping, so any text survives and decoding is two slices.
 *
 * Returns undefined for a version too long to cache.
 */
export function encodeValue(record: StoredSession): string | undefined {
  const { version, userId, data, expiresAt } = record;
  if (version.length > MAX_CACHED_VERSION_LENGTH) return undefined;
  const userLength = userId === undefined ? '' : String(userId.length);
  return `${VALUE}${expiresAt}:${version.length}:${userLength}\n${version}${userId ?? ''}${data}`;
}

/** Writer tokens never hold a comma. */
export function encodeMark(writers: readonly string[]): string {
  return `${MARK}${writers.join(',')}`;
}

export function decodeEntry(text: string): CacheEntry {
  if (!text.startsWith(VALUE)) {
    if (!text.startsWith(MARK)) return FOREIGN;
    const list = text.slice(MARK.length);
    return { kind: 'mark', writers: list === '' ? [] : list.split(',') };
  }
  // Runs on every cache hit: the header is read in place, digit by digit.
  const afterExpiry = text.indexOf(':', VALUE.length);
  const afterVersion = text.indexOf(':', afterExpiry + 1);
  const end = text.indexOf('\n', afterVersion + 1);
  if (afterExpiry < 0 || afterVersion < 0 || end < 0) return FOREIGN;
  const expiresAt = digits(text, VALUE.length, afterExpiry);
  const v = digits(text, afterExpiry + 1, afterVersion);
  const hasUser = end > afterVersion + 1;
  const u = hasUser ? digits(text, afterVersion + 1, end) : 0;
  const start = end + 1;
  if (expiresAt < 0 || v < 1 || (hasUser && u < 1) || start + v + u > text.length) return FOREIGN;
  const version = text.slice(start, start + v);
  const data = text.slice(start + v + u);
  if (!hasUser) return { kind: 'value', record: { data, expiresAt, version } };
  const userId = text.slice(start + v, start + v + u);
  return { kind: 'value', record: { data, expiresAt, userId, version } };
}

/** The decimal number in `text` from `from` to `to`; -1 unless it is 1 to 15 digits. */
function digits(text: string, from: number, to: number): number {
  if (to <= from || to - from > 15) return -1;
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}
