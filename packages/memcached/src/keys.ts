import { InvalidOptionError } from '@sess/core';

/** memcached's key limit, in bytes. */
export const MAX_KEY_BYTES = 250;
/** The longest session id (`assertSessionId`). */
const MAX_ID_LENGTH = 128;
/** Longest prefix that still leaves room for the longest id under the key limit. */
export const MAX_PREFIX_BYTES = MAX_KEY_BYTES - MAX_ID_LENGTH;

export const DEFAULT_PREFIX = 'sess:';

/** A character a session id may hold (`assertSessionId`). */
const ID_CHARACTER = /[A-Za-z0-9_-]/;

/**
 * Checks a key prefix once, at construction: printable ASCII without spaces
 * (what memcached accepts in a key), short enough that prefix + the longest
 * id stays within 250 bytes. Ids are checked by `assertSessionId` and are
 * ASCII, so every key the store builds is valid.
 *
 * The prefix must end with a character no id holds (`:` in `sess:`): a key
 * then splits into prefix and id in one way only, so no other store's prefix
 * reaches this store's keys. With `app` and `app1`, one store's id `1abc`
 * would be the other's `abc`.
 */
export function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !/^[\x21-\x7e]*$/.test(prefix)) {
    throw new InvalidOptionError(
      'prefix must be printable ASCII without spaces or control characters (memcached key rules).',
    );
  }
  if (prefix.length === 0 || prefix.length > MAX_PREFIX_BYTES) {
    throw new InvalidOptionError(
      `prefix must be 1 to ${MAX_PREFIX_BYTES} characters, so that prefix + a 128-character id fits memcached's ${MAX_KEY_BYTES}-byte key limit; got ${prefix.length}.`,
    );
  }
  if (ID_CHARACTER.test(prefix.at(-1) ?? '')) {
    throw new InvalidOptionError(
      `prefix must end with a character that no session id holds, such as ':' ('${prefix}:'), so that no other store's prefix can reach this store's keys.`,
    );
  }
  return prefix;
}
