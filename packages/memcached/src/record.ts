import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { CorruptRecordError, type SessionRecord, type StoredSession } from '@sess/core';
import type { MetaItem } from './driver.js';

/**
 * How a session is laid out in one memcached item.
 *
 * The client flags mark the format (so a foreign item under the same key is
 * recognised as such), and the value is an ASCII header line followed by the
 * user id and the data, both UTF-8:
 *
 *     <expiresAt ms> <version> <userId bytes>\n<userId><data>
 *
 * The exact expiry lives here because memcached's own clock is whole seconds
 * and runs up to two seconds behind the wall clock; the server's expiry
 * (`ceil(expiresAt / 1000)`) only frees the memory.
 *
 * A touch prepends a line instead of rewriting the item (memcached can
 * prepend without the value in hand), newest first:
 *
 *     t<expiresAt ms> <touchedAt ms>\n
 *
 * A touch line counts only if the record was live when it was sent: reading
 * from the oldest line up, each moves the expiry when its `touchedAt` is
 * before the expiry so far, and is ignored otherwise. So a touch that lands
 * on a record memcached still holds after its exact expiry revives nothing,
 * whoever reads it. The next full write (`update`, or a touch that rewrites
 * the record) folds the lines back into the header.
 */

/** Client flags of a sess record, format 1 ("se55" + 1). */
export const RECORD_FLAGS = 0x5e55_0001;

/** Header bytes a record can need beyond data and user id. */
export const HEADER_RESERVE = 64;
/** UTF-8 bytes of the longest user id (256 UTF-16 units, at most 3 bytes each). */
export const MAX_USER_ID_BYTES = 256 * 3;

// Versions are unique across processes (random tag) and writes (counter).
const processTag = randomBytes(9).toString('base64url');
let counter = 0;

/** A version no other write, in any process, has used. */
export function newVersion(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${counter.toString(36)}.${processTag}`;
}

/** The parts of a record needed to decide on a write, without decoding its data. */
export interface RecordHeader {
  /** The exact expiry, touch lines applied. */
  readonly expiresAt: number;
  readonly version: string;
  /** Where the user id starts. */
  readonly bodyOffset: number;
  readonly userIdBytes: number;
  /** Touch lines before the header. */
  readonly touches: number;
}

const TOUCH_MARK = 0x74; // 't'

/** The line a touch to `expiresAt` prepends, sent at `touchedAt` (see above). */
export function touchLine(expiresAt: number, touchedAt: number): Buffer {
  return Buffer.from(`t${expiresAt} ${touchedAt}\n`, 'latin1');
}

// Bytes a version may hold besides its one dot: base-36 counter and base64url tag.
const VERSION_BYTE = new Uint8Array(256);
for (const char of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_') {
  VERSION_BYTE[char.charCodeAt(0)] = 1;
}

export function encodeRecord(record: SessionRecord, version: string): Buffer {
  const userIdBytes = record.userId === undefined ? 0 : Buffer.byteLength(record.userId, 'utf8');
  return encodeWith(`${record.expiresAt} ${version} ${userIdBytes}\n`, record, userIdBytes);
}

function encodeWith(header: string, record: SessionRecord, userIdBytes: number): Buffer {
  const dataBytes = Buffer.byteLength(record.data, 'utf8');
  const value = Buffer.allocUnsafe(header.length + userIdBytes + dataBytes);
  value.write(header, 0, 'latin1');
  if (record.userId !== undefined) value.write(record.userId, header.length, 'utf8');
  value.write(record.data, header.length + userIdBytes, 'utf8');
  return value;
}

/** The same record with another expiry and no touch lines: data, user id and version are copied as bytes. */
export function withExpiry(item: MetaItem, header: RecordHeader, expiresAt: number): Buffer {
  const line = Buffer.from(`${expiresAt} ${header.version} ${header.userIdBytes}\n`, 'latin1');
  return Buffer.concat([line, item.value.subarray(header.bodyOffset)]);
}

function corrupt(reason: string): CorruptRecordError {
  return new CorruptRecordError(`The memcached item is not a sess record: ${reason}.`);
}

/** Reads the header; throws `CorruptRecordError` for anything that is not a sess record. */
export function readHeader(item: MetaItem): RecordHeader {
  if (item.flags !== RECORD_FLAGS) throw corrupt('its flags mark another format');
  // Parsed byte by byte: this runs on every read, and a split + regex costs a
  // tenth of a pipelined get.
  const { value } = item;
  let at = 0;
  // Touch lines, newest first, as [expiresAt, touchedAt] pairs.
  let touches: number[] | undefined;
  while (value[at] === TOUCH_MARK) {
    const start = ++at;
    let expiresAt = 0;
    for (let byte = value[at]; byte !== undefined && byte >= 48 && byte <= 57; byte = value[++at]) {
      expiresAt = expiresAt * 10 + (byte - 48);
    }
    if (at === start || at - start > 16 || value[at] !== 32) throw corrupt('a touch is malformed');
    const middle = ++at;
    let touchedAt = 0;
    for (let byte = value[at]; byte !== undefined && byte >= 48 && byte <= 57; byte = value[++at]) {
      touchedAt = touchedAt * 10 + (byte - 48);
    }
    if (at === middle || at - middle > 16 || value[at] !== 10 || !Number.isSafeInteger(expiresAt)) {
      throw corrupt('a touch is malformed');
    }
    at++;
    touches ??= [];
    touches.push(expiresAt, touchedAt);
  }
  const expiryStart = at;
  let expiresAt = 0;
  for (let byte = value[at]; byte !== undefined && byte >= 48 && byte <= 57; byte = value[++at]) {
    expiresAt = expiresAt * 10 + (byte - 48);
  }
  if (at === expiryStart || at - expiryStart > 16 || value[at] !== 32) {
    throw corrupt('its header is malformed');
  }
  const versionStart = ++at;
  let dots = 0;
  for (let byte = value[at]; byte !== undefined && byte !== 32; byte = value[++at]) {
    if (byte === 46) dots++;
    else if (!VERSION_BYTE[byte]) throw corrupt('its version is malformed');
  }
  if (dots !== 1 || at - versionStart < 3 || at - versionStart > 36) {
    throw corrupt('its version is malformed');
  }
  const version = value.toString('latin1', versionStart, at);
  const lengthStart = ++at;
  let userIdBytes = 0;
  for (let byte = value[at]; byte !== undefined && byte >= 48 && byte <= 57; byte = value[++at]) {
    userIdBytes = userIdBytes * 10 + (byte - 48);
  }
  if (
    at === lengthStart ||
    value[at] !== 10 ||
    userIdBytes > MAX_USER_ID_BYTES ||
    at + 1 + userIdBytes > value.length ||
    !Number.isSafeInteger(expiresAt)
  ) {
    throw corrupt('its header is malformed');
  }
  if (touches !== undefined) {
    // Oldest first: a touch sent while the record was live moves its expiry.
    for (let i = touches.length - 2; i >= 0; i -= 2) {
      if ((touches[i + 1] as number) < expiresAt) expiresAt = touches[i] as number;
    }
  }
  return {
    expiresAt,
    version,
    bodyOffset: at + 1,
    userIdBytes,
    touches: touches === undefined ? 0 : touches.length / 2,
  };
}

/**
 * Decodes a whole record whose data is at most `maxDataBytes`: a larger one
 * was not written by a store with this limit, and bytes that are not UTF-8
 * were not written by any: both are corrupt, never data.
 */
export function decodeRecord(
  item: MetaItem,
  maxDataBytes: number,
  header = readHeader(item),
): StoredSession {
  const { value } = item;
  const dataStart = header.bodyOffset + header.userIdBytes;
  if (value.length - dataStart > maxDataBytes) throw corrupt('its data is larger than the limit');
  if (!isUtf8(value.subarray(header.bodyOffset))) throw corrupt('its text is not valid UTF-8');
  const data = value.toString('utf8', dataStart);
  if (header.userIdBytes === 0) {
    return { data, expiresAt: header.expiresAt, version: header.version };
  }
  const userId = value.toString('utf8', header.bodyOffset, dataStart);
  return { data, expiresAt: header.expiresAt, userId, version: header.version };
}
