import { StoreUnavailableError } from '@sess/core';
import {
  close,
  closeQuietly,
  errorCode,
  fstat,
  fsync,
  fsyncDirectory,
  futimes,
  link,
  mkdirp,
  open,
  readFully,
  rename,
  statIfExists,
  unlinkIfExists,
  writeAll,
} from './fs-calls.js';
import type { RecordPaths } from './layout.js';
import { OWNER, ownerOf } from './record-file.js';

/**
 * One lock per record, held by creating the record's temp file
 * (`<name>.tmp`) with `O_EXCL`: the file that carries the next version is also
 * the lock. A writer that wins the lock writes the new record into it, checks
 * the current record, then either renames the temp file over the record
 * (publishing the write and releasing the lock in one atomic step) or
 * removes it. Readers never take the lock: a rename replaces a file whole, so
 * they see the old record or the new one.
 *
 * A writer that dies leaves its temp file. Every lock file starts with its
 * owner (`{"o":"pid@host"`), so a waiter on the same host can tell a dead
 * owner at once (`kill(pid, 0)`). A lock file still empty after a short grace
 * (its owner died between creating and writing it), or older than `staleMs`,
 * is stale too. Breakers take `<name>.break` with `O_EXCL` first, then check
 * again that the lock is the same file and still stale before removing it, so
 * two breakers never remove a lock that a live writer took in between. And a
 * writer checks that the temp file is still its own (same inode) before it
 * publishes or removes it, so a writer whose lock was broken while it stalled
 * gives up instead of publishing another writer's file.
 */

export interface LockSettings {
  readonly fileMode: number;
  readonly directoryMode: number;
  /** A lock older than this is broken whatever its owner, in ms. */
  readonly staleMs: number;
  /** fsync temp files before publishing and directories after. */
  readonly fsync: boolean;
}

const HOST = OWNER.slice(OWNER.indexOf('@') + 1);
const MAX_WAIT_STEP_MS = 25;
/** How long a lock file may stay without its owner written in it. */
const EMPTY_LOCK_GRACE_MS = 1000;

/** Proof of holding a record's lock: the inode of the temp file this writer created. */
export interface LockToken {
  readonly ino: number;
}

/** Thrown when a writer finds its lock was taken over while it stalled. */
function lostLock(): StoreUnavailableError {
  return new StoreUnavailableError(
    'This write stalled past the lock timeout and another writer took the session over; nothing was written.',
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return errorCode(error) === 'EPERM';
  }
}

async function readHead(path: string): Promise<string> {
  let fd: number;
  try {
    fd = await open(path, 'r');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return '';
    throw error;
  }
  try {
    const head = Buffer.alloc(128);
    const got = await readFully(fd, head);
    return head.toString('utf8', 0, got);
  } finally {
    await close(fd);
  }
}

export type BreakOutcome = 'gone' | 'busy' | 'broken';

export class RecordLocks {
  readonly #settings: LockSettings;

  constructor(settings: LockSettings) {
    this.#settings = settings;
  }

  /**
   * Takes the record's lock by creating its temp file with `content`; with
   * `expiresAt`, the temp file is a complete record ready to publish. Waits
   * for a busy lock until `deadline` (breaking a stale one), or returns
   * `undefined` at once when `wait` is false.
   */
  async acquire(
    paths: RecordPaths,
    content: Buffer,
    expiresAt: number | undefined,
    deadline: number,
    wait = true,
  ): Promise<LockToken | undefined> {
    let step = 1;
    let missingDirectory = 0;
    for (;;) {
      try {
        return await this.#createTemp(paths, content, expiresAt);
      } catch (error) {
        const code = errorCode(error);
        if (code === 'ENOENT' && missingDirectory++ < 3) {
          await mkdirp(paths.shardDir, this.#settings.directoryMode);
          continue;
        }
        if (code !== 'EEXIST') throw error;
      }
      const outcome = await this.breakIfStale(paths);
      if (outcome !== 'busy') continue;
      if (!wait) return undefined;
      const pause = step + Math.random() * step;
      if (Date.now() + pause > deadline) {
        throw new StoreUnavailableError(
          'Another writer held this session’s lock until the operation timed out.',
        );
      }
      await sleep(pause);
      step = Math.min(step * 2, MAX_WAIT_STEP_MS);
    }
  }

  /** Publishes the temp file as the record, replacing any, and releases the lock. */
  async publish(paths: RecordPaths, token: LockToken): Promise<void> {
    if (!(await this.#holds(paths, token))) throw lostLock();
    await rename(paths.temp, paths.file);
    if (this.#settings.fsync) await fsyncDirectory(paths.shardDir);
  }

  /**
   * Publishes the temp file only if no record file exists (`link` fails on an
   * existing name), then releases the lock. False when a record is there.
   */
  async publishIfAbsent(paths: RecordPaths, token: LockToken): Promise<boolean> {
    if (!(await this.#holds(paths, token))) throw lostLock();
    try {
      await link(paths.temp, paths.file);
    } catch (error) {
      if (errorCode(error) === 'EEXIST') return false;
      throw error;
    }
    await unlinkIfExists(paths.temp);
    if (this.#settings.fsync) await fsyncDirectory(paths.shardDir);
    return true;
  }

  /** Releases the lock without publishing; a lock taken over meanwhile is left to its new owner. */
  async release(paths: RecordPaths, token: LockToken): Promise<void> {
    if (await this.#holds(paths, token)) await unlinkIfExists(paths.temp);
  }

  /** Removes the record's lock if it is stale; `busy` when a live writer holds it. */
  async breakIfStale(paths: RecordPaths): Promise<BreakOutcome> {
    const seen = await statIfExists(paths.temp);
    if (!seen) return 'gone';
    if (!(await this.#isStale(paths.temp, seen.ctimeMs))) return 'busy';
    try {
      await close(await open(paths.breaker, 'wx', this.#settings.fileMode));
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT') return 'gone';
      if (code !== 'EEXIST') throw error;
      // Another process is breaking this lock, or died doing it.
      const breaker = await statIfExists(paths.breaker);
      if (breaker && Date.now() - breaker.ctimeMs > this.#settings.staleMs) {
        await unlinkIfExists(paths.breaker);
      }
      return 'busy';
    }
    try {
      // Only the holder of the break marker removes a stale lock, and a dead
      // owner removes nothing, so the file checked here is the file unlinked.
      const again = await statIfExists(paths.temp);
      if (!again || again.ino !== seen.ino) return 'gone';
      if (!(await this.#isStale(paths.temp, again.ctimeMs))) return 'busy';
      await unlinkIfExists(paths.temp);
      return 'broken';
    } finally {
      await unlinkIfExists(paths.breaker);
    }
  }

  /** Removes a break marker left by a breaker that died, once it is stale. */
  async removeStaleBreaker(path: string): Promise<void> {
    const stats = await statIfExists(path);
    if (stats && Date.now() - stats.ctimeMs > this.#settings.staleMs) await unlinkIfExists(path);
  }

  async #holds(paths: RecordPaths, token: LockToken): Promise<boolean> {
    return (await statIfExists(paths.temp))?.ino === token.ino;
  }

  async #isStale(path: string, changedAtMs: number): Promise<boolean> {
    const ageMs = Date.now() - changedAtMs;
    if (ageMs > this.#settings.staleMs) return true;
    const owner = ownerOf(await readHead(path));
    // No owner yet: the writer is between creating the file and writing it,
    // which takes microseconds, or died there. A writer merely slow gives up
    // on its own when it finds its lock taken (see #holds).
    if (!owner) return ageMs > Math.min(EMPTY_LOCK_GRACE_MS, this.#settings.staleMs);
    if (owner.host !== HOST || owner.pid === process.pid) return false;
    return !processAlive(owner.pid);
  }

  async #createTemp(
    paths: RecordPaths,
    content: Buffer,
    expiresAt: number | undefined,
  ): Promise<LockToken> {
    const fd = await open(paths.temp, 'wx', this.#settings.fileMode);
    let token: LockToken;
    try {
      await writeAll(fd, content);
      if (expiresAt !== undefined) {
        // An access time after the modification time keeps relatime from
        // writing the inode on every read.
        await futimes(fd, expiresAt + 1, expiresAt);
        // fsync, not fdatasync: the expiry is metadata.
        if (this.#settings.fsync) await fsync(fd);
      }
      token = { ino: (await fstat(fd)).ino };
    } catch (error) {
      const ino = await fstat(fd).then(
        (stats) => stats.ino,
        () => undefined,
      );
      closeQuietly(fd);
      if (ino !== undefined) await this.release(paths, { ino }).catch(() => undefined);
      throw error;
    }
    try {
      await close(fd);
    } catch (error) {
      await this.release(paths, token).catch(() => undefined);
      throw error;
    }
    return token;
  }
}
