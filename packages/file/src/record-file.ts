import { constants, readlinkSync, type Stats } from 'node:fs';
import { hostname } from 'node:os';
import { closeQuietly, errorCode, fstat, open, readAt, readFully } from './fs-calls.js';

/**
 * The content of a record file: one JSON object, `o` (the writing process,
 * first, so a lock's owner can be read from the first bytes), `v` (version),
 * `u` (userId, absent when none) and `d` (data). JSON keeps every JavaScript
 * string exactly, lone surrogates included, and a truncated file never parses.
 *
 * The expiry is not in the content: it is the file's modification time, so
 * `touch` moves it with one `futimes` and never rewrites the record.
 */
export interface RecordContent {
  readonly version: string;
  readonly data: string;
  readonly userId: string | undefined;
}

/** A record file as read: content, expiry and the inode it came from. */
export interface ReadRecord extends RecordContent {
  readonly expiresAt: number;
}

export type ReadResult =
  | { readonly kind: 'absent' }
  | {
      readonly kind: 'corrupt';
      readonly reason: string;
      /** The file's mtime, when it could be read: a corrupt file past it is simply expired. */
      readonly expiresAt?: number;
    }
  | { readonly kind: 'record'; readonly record: ReadRecord };

export const ABSENT: ReadResult = { kind: 'absent' };

/**
 * Where process ids mean something: the host name, plus on Linux the PID
 * namespace, so two containers that share a volume and a host name (host
 * networking) never judge each other's pids.
 */
function processSpace(): string {
  const host = hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'localhost';
  try {
    const namespace = readlinkSync('/proc/self/ns/pid').replace(/\D/g, '');
    return namespace ? `${host}.ns${namespace}` : host;
  } catch {
    return host;
  }
}

/** Who writes: this process, as `pid@space`. */
export const OWNER = `${process.pid}@${processSpace()}`;

const OWNER_TAG = /^\{"o":"(\d+)@([A-Za-z0-9._-]+)"/;

/** Serializes a record for its file. */
export function encodeRecord(content: RecordContent): Buffer {
  return Buffer.from(
    JSON.stringify({ o: OWNER, v: content.version, u: content.userId, d: content.data }),
    'utf8',
  );
}

/** What a lock that writes no record holds: only its owner. */
export const LOCK_ONLY = Buffer.from(JSON.stringify({ o: OWNER }), 'utf8');

/** The owner written at the start of a record or lock file, if it can be read. */
export function ownerOf(head: string): { pid: number; host: string } | undefined {
  const match = OWNER_TAG.exec(head);
  if (!match) return undefined;
  return { pid: Number(match[1]), host: match[2] as string };
}

/** Parses a record file's bytes; a string saying what is wrong when they are not a whole record. */
export function decodeRecord(bytes: Buffer): RecordContent | string {
  let text: string;
  try {
    text = STRICT_UTF8.decode(bytes);
  } catch {
    // Never U+FFFD in a session: bytes that are not UTF-8 were not written by the store.
    return 'the file is not valid UTF-8';
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return bytes.length === 0 ? 'the file is empty' : 'the file is not valid JSON';
  }
  if (typeof parsed !== 'object' || parsed === null) return 'the file is not a record';
  const { v, d, u } = parsed as Record<string, unknown>;
  if (typeof v !== 'string' || v.length === 0) return 'the record has no version';
  if (typeof d !== 'string') return 'the record has no data';
  if (u !== undefined && typeof u !== 'string') return 'the record has a malformed userId';
  return { version: v, data: d, userId: u };
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The largest record file a store with this payload limit writes: JSON may
 * escape a character of data into 6 bytes, and the version and user id add
 * less than 4 KiB. A larger file was not written by the store and is never
 * read into memory.
 */
export function recordFileLimit(maxPayloadBytes: number): number {
  return maxPayloadBytes * 6 + 4096;
}

/** What a record file must be for the store to read it as one. */
export interface ReadRules {
  /** Larger files are corrupt (see `recordFileLimit`). */
  readonly maxFileBytes: number;
  /** The uid every record must belong to; undefined accepts any owner. */
  readonly owner: number | undefined;
}

/** The expiry stored in a file's modification time, in whole epoch milliseconds. */
export function expiryOf(stats: { mtimeMs: number }): number {
  return Math.round(stats.mtimeMs);
}

/**
 * Whether a file's metadata says the store wrote it and it can be judged
 * without reading it: a regular file within the rules, whose access time is
 * its expiry plus one millisecond, as every write and touch of the store
 * sets it. A file another program rewrote (its mtime moved) or read under
 * `strictatime` fails this, and is read before anything is done to it.
 */
export function isStoreWritten(stats: Stats, rules: ReadRules): boolean {
  return (
    stats.isFile() &&
    (rules.owner === undefined || stats.uid === rules.owner) &&
    stats.size <= rules.maxFileBytes &&
    Math.round(stats.atimeMs) === expiryOf(stats) + 1
  );
}

/** Most sessions fit: the first read is issued with `fstat`, before the size is known. */
const FIRST_READ_BYTES = 4096;

/**
 * Reads the record behind an open descriptor. `fstat` and `read` go through
 * the same descriptor, so expiry and content always belong to one version,
 * even while a writer renames a newer one over the name. They run at once:
 * the read does not wait for the size unless the record is larger than a
 * first read.
 */
export async function readOpenRecord(fd: number, rules: ReadRules): Promise<ReadResult> {
  const head = Buffer.allocUnsafe(FIRST_READ_BYTES);
  const [stats, got] = await Promise.all([
    fstat(fd),
    // A directory cannot be read; fstat tells what it is.
    readAt(fd, head, 0, 0).catch((error: unknown) => error as Error),
  ]);
  if (!stats.isFile()) return { kind: 'corrupt', reason: 'the path is not a regular file' };
  if (typeof got !== 'number') throw got;
  const expiresAt = expiryOf(stats);
  if (rules.owner !== undefined && stats.uid !== rules.owner) {
    return { kind: 'corrupt', reason: 'the file belongs to another user', expiresAt };
  }
  if (stats.size > rules.maxFileBytes) {
    return {
      kind: 'corrupt',
      reason: 'the file is larger than any record the store writes',
      expiresAt,
    };
  }
  let bytes: Buffer;
  if (stats.size <= got) {
    bytes = head.subarray(0, got);
  } else {
    bytes = Buffer.allocUnsafe(stats.size);
    head.copy(bytes, 0, 0, got);
    if ((await readFully(fd, bytes, got)) !== stats.size) {
      return { kind: 'corrupt', reason: 'the file shrank while being read', expiresAt };
    }
  }
  if (bytes.length !== stats.size) {
    return { kind: 'corrupt', reason: 'the file changed size while being read', expiresAt };
  }
  const content = decodeRecord(bytes);
  if (typeof content === 'string') return { kind: 'corrupt', reason: content, expiresAt };
  return { kind: 'record', record: { ...content, expiresAt } };
}

/**
 * Records are never symbolic links: one planted in the directory is not
 * followed. Opened non-blocking, so a FIFO planted where a record should be
 * cannot hold a thread of the pool until something writes to it (reads of
 * regular files ignore the flag); `fstat` then finds it is not a file.
 */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/**
 * Opens the record file for reading: a descriptor, `undefined` when there is
 * none, or `'link'` when a symbolic link stands where the record should.
 */
export async function openRecord(file: string): Promise<number | undefined | 'link'> {
  try {
    return await open(file, READ_FLAGS);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') return 'link';
    throw error;
  }
}

const LINK: ReadResult = { kind: 'corrupt', reason: 'the path is a symbolic link' };

/** Reads a record file: absent, corrupt, or a record with its expiry. */
export async function readRecordFile(file: string, rules: ReadRules): Promise<ReadResult> {
  const fd = await openRecord(file);
  if (fd === undefined) return ABSENT;
  if (fd === 'link') return LINK;
  try {
    return await readOpenRecord(fd, rules);
  } finally {
    // Closing a descriptor only read from cannot fail in a way that matters:
    // no one waits for it.
    closeQuietly(fd);
  }
}
