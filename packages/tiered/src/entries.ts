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
  if (text.startsWith(MARK)) {
    const list = text.slice(MARK.length);
    return { kind: 'mark', writers: list === '' ? [] : list.split(',') };
  }
  if (!text.startsWith(VALUE)) return FOREIGN;
  const end = text.indexOf('\n');
  if (end < 0) return FOREIGN;
  const [expiry, versionLength, userLength, extra] = text.slice(VALUE.length, end).split(':');
  const expiresAt = Number(expiry);
  const v = Number(versionLength);
  const u = userLength === '' ? 0 : Number(userLength);
  if (
    extra !== undefined ||
    !Number.isSafeInteger(expiresAt) ||
    !Number.isSafeInteger(v) ||
    !Number.isSafeInteger(u) ||
    v < 1 ||
    (userLength !== '' && u < 1) ||
    end + 1 + v + u > text.length
  ) {
    return FOREIGN;
  }
  const version = text.slice(end + 1, end + 1 + v);
  const data = text.slice(end + 1 + v + u);
  if (userLength === '') return { kind: 'value', record: { data, expiresAt, version } };
  const userId = text.slice(end + 1 + v, end + 1 + v + u);
  return { kind: 'value', record: { data, expiresAt, userId, version } };
}
