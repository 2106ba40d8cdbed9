import { InvalidOptionError } from '@sess/core';
import { isValidSessionId } from '@sess/core/store-kit';
import { encodeUserId, isEncodedUserId, MAX_ENCODED_USER_ID } from './record.js';

/** Follows the prefix in every key; a prefix may not hold it, so no prefix can reach another's keys. */
export const SEPARATOR = '|';

/**
 * Key layout, under the store's prefix (default `sess`):
 * - `<prefix>|s|<id>`: a session record (a string with a native expiry);
 * - `<prefix>|u|<userId, percent-encoded>`: a user's index (a sorted set).
 *
 * A prefix never holds `|`, so the prefix of any key is the text before its
 * first `|`: stores with prefixes `app` and `app1`, or `app:` and
 * `app:admin:`, share no key and no SCAN pattern. The tag after it tells a
 * record from an index, and keys under the prefix in any other form (an
 * application's `app:config`) belong to no store.
 *
 * No hash tags: each record lands in its own slot, spreading sessions over a
 * cluster; a user's index lands in another. Scripts touch one slot each.
 */
export class KeyLayout {
  readonly #records: string;
  readonly #indexes: string;
  /** SCAN MATCH patterns for each kind of key, glob characters of the prefix escaped. */
  readonly recordPattern: string;
  readonly indexPattern: string;

  constructor(prefix: unknown) {
    if (typeof prefix !== 'string' || prefix.length === 0 || prefix.includes(SEPARATOR)) {
      throw new InvalidOptionError(
        `prefix must be a non-empty string without "${SEPARATOR}" (keys are <prefix>${SEPARATOR}s${SEPARATOR}<id>, so no prefix can reach another's keys).`,
      );
    }
    this.#records = `${prefix}${SEPARATOR}s${SEPARATOR}`;
    this.#indexes = `${prefix}${SEPARATOR}u${SEPARATOR}`;
    this.recordPattern = `${escapeGlob(this.#records)}*`;
    this.indexPattern = `${escapeGlob(this.#indexes)}*`;
  }

  record(id: string): string {
    return this.#records + id;
  }

  userIndex(encodedUserId: string): string {
    return this.#indexes + encodedUserId;
  }

  userIndexOf(userId: string): string {
    return this.userIndex(encodeUserId(userId));
  }

  /** The session id a scanned key holds, or undefined for a key that is not a record's. */
  idOf(key: string): string | undefined {
    if (!key.startsWith(this.#records)) return undefined;
    const id = key.slice(this.#records.length);
    return isValidSessionId(id) ? id : undefined;
  }

  /** True for a key this layout gives a user's index, exactly (the user id as encoded here). */
  isUserIndex(key: string): boolean {
    if (!key.startsWith(this.#indexes)) return false;
    const encoded = key.slice(this.#indexes.length);
    return encoded.length > 0 && encoded.length <= MAX_ENCODED_USER_ID && isEncodedUserId(encoded);
  }
}

/** Escapes the characters Redis glob patterns treat specially: `* ? [ ] \`. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

// CRC16-CCITT (XMODEM), the hash Redis Cluster maps keys to slots with.
const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[i] = crc & 0xffff;
  }
  return table;
})();

/** The cluster slot of a key, honouring `{hash tags}`; used to batch UNLINKs per slot. */
export function slotOf(key: string): number {
  let bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf(0x7b); // '{'
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1); // '}'
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes)
    crc = ((crc << 8) ^ (CRC_TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0)) & 0xffff;
  return crc & 16383;
}

/** Keys grouped by cluster slot, as multi-key commands in a cluster require. */
export function groupBySlot(keys: string[]): string[][] {
  const bySlot = new Map<number, string[]>();
  for (const key of keys) {
    const slot = slotOf(key);
    const batch = bySlot.get(slot);
    if (batch) batch.push(key);
    else bySlot.set(slot, [key]);
  }
  return [...bySlot.values()];
}
