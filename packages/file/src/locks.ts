import { constants } from 'node:fs';
import { StoreUnavailableError } from '@sess/core';
import {
  close,
  closeQuietly,
  errorCode,
  fstat,
  fsync,
  fsyncDirectory,
  futimes,
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
 * writer checks that the temp file is still its own (same inode) once it has
 * written it, and again before removing it, so a writer whose empty lock was
 * broken while it stalled gives up instead of publishing another's file.
 * After that check the lock names a live owner and is not broken unless it
 * outlives `staleMs`.
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

/** A lock held, with what ran alongside its acquisition. */
export interface Held<T> {
  readonly token: LockToken;
  readonly alongside: T;
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

/** A lock file is never a link, and a FIFO planted as one must not block a reader. */
const HEAD_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

async function readHead(path: string): Promise<string> {
  let fd: number;
  try {
    fd = await open(path, HEAD_FLAGS);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return '';
    throw error;
  }
  try {
    const head = Buffer.alloc(256);
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
   *
   * `alongside` runs as soon as the lock is held, while the temp file is
   * being written: the writer's read of the current record, which must come
   * after the lock but need not wait for the write.
   */
  async acquire<T = undefined>(
    paths: RecordPaths,
    content: Buffer,
    expiresAt: number | undefined,
    deadline: number,
    options: { wait?: boolean; alongside?: () => Promise<T> } = {},
  ): Promise<Held<T> | undefined> {
    let step = 1;
    let missingDirectory = 0;
    for (;;) {
      let fd: number;
      try {
        fd = await open(paths.temp, 'wx', this.#settings.fileMode);
      } catch (error) {
        const code = errorCode(error);
        if (code === 'ENOENT' && missingDirectory++ < 3) {
          await mkdirp(paths.shardDir, this.#settings.directoryMode);
          continue;
        }
        if (code !== 'EEXIST') throw error;
        const outcome = await this.breakIfStale(paths);
        if (outcome !== 'busy') continue;
        if (options.wait === false) return undefined;
        const pause = step + Math.random() * step;
        if (Date.now() + pause > deadline) {
          throw new StoreUnavailableError(
            'Another writer held this session’s lock until the operation timed out.',
          );
        }
        await sleep(pause);
        step = Math.min(step * 2, MAX_WAIT_STEP_MS);
        continue;
      }
      const side = (options.alongside ?? (async () => undefined as T))().then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      let token: LockToken;
      try {
        token = await this.#fill(paths, fd, content, expiresAt);
      } catch (error) {
        await side;
        throw error;
      }
      const outcome = await side;
      if ('error' in outcome) {
        await this.release(paths, token);
        throw outcome.error;
      }
      return { token, alongside: outcome.value };
    }
  }

  /** Publishes the temp file as the record, replacing any, and releases the lock. */
  async publish(paths: RecordPaths): Promise<void> {
    await rename(paths.temp, paths.file);
    if (this.#settings.fsync) await fsyncDirectory(paths.shardDir);
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

  /**
   * Writes the lock's content, sets its expiry, closes it, and checks that
   * the temp file is still this writer's: a lock found empty after the grace
   * may have been broken while this writer stalled before its first write.
   * Independent steps run together.
   */
  async #fill(
    paths: RecordPaths,
    fd: number,
    content: Buffer,
    expiresAt: number | undefined,
  ): Promise<LockToken> {
    let token: LockToken | undefined;
    try {
      await writeAll(fd, content);
      const [stats] = await Promise.all([
        fstat(fd),
        // After the write, which would move mtime again. An access time after
        // the modification time keeps relatime from writing the inode on reads.
        expiresAt === undefined ? undefined : futimes(fd, expiresAt + 1, expiresAt),
      ]);
      token = { ino: stats.ino };
      // fsync, not fdatasync: the expiry is metadata.
      if (this.#settings.fsync && expiresAt !== undefined) await fsync(fd);
    } catch (error) {
      const ino =
        token?.ino ??
        (await fstat(fd).then(
          (stats) => stats.ino,
          () => undefined,
        ));
      closeQuietly(fd);
      if (ino !== undefined) await this.release(paths, { ino }).catch(() => undefined);
      throw error;
    }
    const [closed, held] = await Promise.allSettled([close(fd), this.#holds(paths, token)]);
    if (closed.status === 'rejected' || held.status === 'rejected' || !held.value) {
      await this.release(paths, token).catch(() => undefined);
      if (held.status === 'fulfilled' && !held.value) throw lostLock();
      throw closed.status === 'rejected' ? closed.reason : (held as PromiseRejectedResult).reason;
    }
    return token;
  }
}
