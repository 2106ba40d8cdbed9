import { InvalidOptionError } from '@sess/core';
import { isValidSessionId } from '@sess/core/store-kit';
import { encodeUserId } from './record.js';

/**
 * Key layout, under the store's prefix (default `sess:`):
 * - `<prefix><id>`: a session record (a string with a native expiry);
 * - `<prefix>u:<userId, percent-encoded>`: a user's index (a sorted set).
 * Session ids never hold ':', so the two kinds cannot collide.
 *
 * No hash tags: each record lands in its own slot, spreading sessions over a
 * cluster; a user's index lands in another. Scripts touch one slot each.
 */
export class KeyLayout {
  readonly prefix: string;
  /** SCAN MATCH pattern for everything under the prefix, glob characters escaped. */
  readonly pattern: string;

  constructor(prefix: string) {
    if (typeof prefix !== 'string' || prefix.length === 0) {
      throw new InvalidOptionError(
        'prefix must be a non-empty string (clear() deletes everything under it).',
      );
    }
    this.prefix = prefix;
    this.pattern = `${escapeGlob(prefix)}*`;
  }

  record(id: string): string {
    return this.prefix + id;
  }

  userIndex(encodedUserId: string): string {
    return `${this.prefix}u:${encodedUserId}`;
  }

  userIndexOf(userId: string): string {
    return this.userIndex(encodeUserId(userId));
  }

  /** The session id a scanned key holds, or undefined for any other key under the prefix. */
  idOf(key: string): string | undefined {
    if (!key.startsWith(this.prefix)) return undefined;
    const id = key.slice(this.prefix.length);
    return isValidSessionId(id) ? id : undefined;
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
