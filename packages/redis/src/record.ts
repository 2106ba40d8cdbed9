import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { CorruptRecordError, type StoredSession } from '@sess/core';

/**
 * How a session is stored: one Redis string, a fixed-width ASCII header
 * followed by the payload, so that
 * - `get` is a single native GET (the hottest operation costs what a raw GET costs);
 * - scripts read only the header (GETRANGE) and rewrite the expiry in place
 *   (SETRANGE), whatever the payload's size.
 *
 * ```
 * offset  0      format   '1'
 *         1..16  version  16 characters
 *        17..32  expiresAt 16 digits, epoch ms (the key also expires at it: PXAT)
 *        33..48  indexedUntil 16 digits: the user index covers this record until then
 *                (all zeros when the record has no user)
 *        49..    userId, percent-encoded (ASCII, never '|'), then '|', then the payload
 * ```
 *
 * The offsets are repeated in the Lua scripts (1-based there).
 */

export const FORMAT = '1';
export const HEADER_LENGTH = 49;
const VERSION_LENGTH = 16;
const NO_INDEX = '0'.repeat(16);

/** A 16-digit, zero-padded epoch-ms time: fixed width, so it can be rewritten in place. */
export function pad16(ms: number): string {
  return String(ms).padStart(16, '0');
}

/** User ids are any text; in keys and headers they travel percent-encoded (ASCII, no '|'). */
export function encodeUserId(userId: string): string {
  return encodeURIComponent(userId);
}

/** True for text `encodeUserId` gives: it decodes, and encodes back to itself. */
export function isEncodedUserId(text: string): boolean {
  try {
    return encodeURIComponent(decodeURIComponent(text)) === text;
  } catch {
    return false;
  }
}

/** Longest encoded user id: 256 UTF-16 units, each at most 9 characters (`%XX` x 3). */
export const MAX_ENCODED_USER_ID = 256 * 9;

/** The stored string for a record. */
export function encodeRecord(
  version: string,
  expiresAt: number,
  indexedUntil: number | undefined,
  encodedUserId: string,
  data: string,
): string {
  const index = indexedUntil === undefined ? NO_INDEX : pad16(indexedUntil);
  return `${FORMAT}${version}${pad16(expiresAt)}${index}${encodedUserId}|${data}`;
}

/**
 * The most bytes a record with `maxDataBytes` of data takes: `get` reads one
 * byte more (GETRANGE), so a longer value shows as too long without being
 * fetched whole.
 */
export function maxRecordBytes(maxDataBytes: number): number {
  return HEADER_LENGTH + MAX_ENCODED_USER_ID + 1 + maxDataBytes;
}

const BAR = 0x7c; // '|'
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;

/**
 * Reads a stored value back (as bytes, at most `maxRecordBytes + 1` of them).
 * Throws `CorruptRecordError` when it is not one of ours, when its data is
 * larger than `maxDataBytes` (no store with this limit wrote it), or when its
 * text is not UTF-8 (no store wrote that): never data, never U+FFFD.
 */
export function decodeRecord(bytes: Buffer, maxDataBytes: number): StoredSession {
  const bar = bytes.indexOf(BAR, HEADER_LENGTH);
  const head = bar < 0 ? '' : bytes.toString('latin1', 0, bar);
  const expiresAt = Number(head.slice(17, 33));
  if (
    head[0] !== FORMAT ||
    bar > HEADER_LENGTH + MAX_ENCODED_USER_ID ||
    !PRINTABLE_ASCII.test(head) ||
    !Number.isSafeInteger(expiresAt)
  ) {
    throw new CorruptRecordError('A stored session is not in the @sess/redis format.');
  }
  if (bytes.length - bar - 1 > maxDataBytes) {
    throw new CorruptRecordError('A stored session is larger than maxPayloadBytes allows.');
  }
  if (!isUtf8(bytes.subarray(bar + 1))) {
    throw new CorruptRecordError('A stored session is not valid UTF-8.');
  }
  const version = head.slice(1, 17);
  const data = bytes.toString('utf8', bar + 1);
  if (bar === HEADER_LENGTH) return { data, expiresAt, version };
  let userId: string;
  try {
    userId = decodeURIComponent(head.slice(HEADER_LENGTH));
  } catch (cause) {
    throw new CorruptRecordError('A stored session has an unreadable userId.', { cause });
  }
  return { data, expiresAt, userId, version };
}

/**
 * Versions: a random per-process prefix and a counter, 16 characters. Unique
 * without a round trip, and cheaper than fresh random bytes per write.
 */
export class VersionSource {
  #prefix = newPrefix();
  #counter = 0;

  next(): string {
    // 36^8 versions per prefix; then a new prefix, so none repeats.
    if (this.#counter >= 2_821_109_907_455) {
      this.#prefix = newPrefix();
      this.#counter = 0;
    }
    return this.#prefix + (this.#counter++).toString(36).padStart(VERSION_LENGTH - 8, '0');
  }
}

function newPrefix(): string {
  return randomBytes(6).toString('base64url');
}
