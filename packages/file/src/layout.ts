import { createHash } from 'node:crypto';

/**
 * Where everything lives inside the store's directory:
 *
 * ```
 * s/<shard>/<name>           a record; its modification time is its expiry
 * s/<shard>/<name>.tmp       a write in progress, and the record's lock
 * s/<shard>/<name>.break     a stale lock being removed
 * s/<shard>/.sweep           a sweep under way in the shard: writers wait
 * u/<hh>/<hash>/<name>       "this record belongs to the user whose id hashes to hh+hash"
 * corrupt/<name>.<time>.<n>.corrupt   unreadable records, moved aside
 * ```
 *
 * `<shard>` is two hex digits of a hash of the id: 256 directories, so no
 * directory holds millions of entries even when ids share a prefix. `<name>`
 * is the id in lower case, plus `~` and a mask of its upper-case letters when
 * it has any, so ids that differ only in case stay apart on case-insensitive
 * file systems (macOS, Windows). Names are built only from ids that passed
 * `assertSessionId`, and never hold a `.`, which marks every other kind of file.
 */

export const RECORDS_DIR = 's';
export const USERS_DIR = 'u';
export const CORRUPT_DIR = 'corrupt';
export const TEMP_SUFFIX = '.tmp';
export const BREAK_SUFFIX = '.break';
export const SWEEP_MARKER = '.sweep';

const RECORD_NAME = /^([a-z0-9_-]{1,128})(?:~([0-9a-f]{1,32}))?$/;
const SHARD = /^[0-9a-f]{2}$/;

/** The file name of a valid session id. */
export function fileNameOf(id: string): string {
  const lower = id.toLowerCase();
  if (lower === id) return id;
  let mask = '';
  for (let i = 0; i < id.length; i += 4) {
    let nibble = 0;
    for (let j = 0; j < 4 && i + j < id.length; j++) {
      const code = id.charCodeAt(i + j);
      if (code >= 65 && code <= 90) nibble |= 1 << j;
    }
    mask += nibble.toString(16);
  }
  return `${lower}~${mask}`;
}

/** The id a record file name stands for, or `undefined` for any other file. */
export function idOfFileName(name: string): string | undefined {
  const match = RECORD_NAME.exec(name);
  if (!match) return undefined;
  const lower = match[1] as string;
  const mask = match[2];
  if (mask === undefined) return lower;
  if (mask.length !== Math.ceil(lower.length / 4)) return undefined;
  let id = '';
  let upper = 0;
  for (let i = 0; i < lower.length; i++) {
    const char = lower[i] as string;
    const bit = (Number.parseInt(mask[i >> 2] as string, 16) >> (i & 3)) & 1;
    if (bit === 0) {
      id += char;
      continue;
    }
    if (char < 'a' || char > 'z') return undefined;
    id += char.toUpperCase();
    upper++;
  }
  // Exactly one name per id: a mask with no upper-case letter is not one of ours.
  return upper > 0 && fileNameOf(id) === name ? id : undefined;
}

/** Two hex digits spreading ids over 256 shard directories (FNV-1a, folded). */
export function shardOf(id: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash ^= hash >>> 8;
  return (hash & 0xff).toString(16).padStart(2, '0');
}

export function isShardName(name: string): boolean {
  return SHARD.test(name);
}

/** A lock file, and the marker that claims the right to break it. */
export interface LockPaths {
  readonly temp: string;
  readonly breaker: string;
}

/** The marker of a sweep under way in a shard directory: a lock file like a record's. */
export function sweepMarker(shardDir: string): LockPaths {
  const temp = `${shardDir}/${SWEEP_MARKER}`;
  return { temp, breaker: temp + BREAK_SUFFIX };
}

/** The paths of one record. */
export interface RecordPaths extends LockPaths {
  readonly id: string;
  readonly name: string;
  readonly shardDir: string;
  readonly file: string;
}

/** The layout of one store directory. */
export class Layout {
  readonly root: string;
  readonly recordsDir: string;
  readonly usersDir: string;
  readonly corruptDir: string;

  constructor(root: string) {
    this.root = root;
    this.recordsDir = `${root}/${RECORDS_DIR}`;
    this.usersDir = `${root}/${USERS_DIR}`;
    this.corruptDir = `${root}/${CORRUPT_DIR}`;
  }

  record(id: string): RecordPaths {
    const name = fileNameOf(id);
    const shardDir = `${this.recordsDir}/${shardOf(id)}`;
    const file = `${shardDir}/${name}`;
    return { id, name, shardDir, file, temp: file + TEMP_SUFFIX, breaker: file + BREAK_SUFFIX };
  }

  shardDir(shard: string): string {
    return `${this.recordsDir}/${shard}`;
  }

  /**
   * The directory indexing a user's sessions. User ids are any text, so the
   * path holds a SHA-256 of it, never the text; a hash collision is harmless
   * because every entry is checked against the record's own userId.
   */
  userDir(userId: string): string {
    const hash = createHash('sha256').update(userId, 'utf8').digest('hex');
    return `${this.usersDir}/${hash.slice(0, 2)}/${hash.slice(2)}`;
  }
}
