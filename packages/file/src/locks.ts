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
import { type LockPaths, type RecordPaths, sweepMarker } from './layout.js';
import { LOCK_ONLY, OWNER, ownerOf } from './record-file.js';

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
 *
 * A sweep removes expired records without taking their locks: it marks the
 * shard first (`.sweep`, a lock file like the others), and a writer about to
 * publish checks for that mark after taking its record's lock, and waits
 * while it is there. A writer that looked before the mark appeared still
 * holds its temp file when the sweep lists the shard, and the sweep leaves
 * that record alone; so a sweep never removes a record a writer has just
 * published over an expired one.
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

/**
 * Proof of holding a record's lock: when this writer started to create its
 * temp file and, if it had to look, the inode of that file.
 */
export interface LockToken {
  /** `performance.now()` before the temp file was created. */
  readonly since: number;
  /** Known only when the lock was held too long to be sure of it without looking. */
  readonly ino?: number;
}

/**
 * Slack for the clocks: a breaker judges a lock's age by its ctime, which the
 * kernel keeps a tick coarse, against its own `Date.now()`.
 */
const CLOCK_SLACK_MS = 100;

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
    const pause = async (why: string) => {
      const ms = step + Math.random() * step;
      if (Date.now() + ms > deadline) {
        throw new StoreUnavailableError(`${why} until the operation timed out.`);
      }
      await sleep(ms);
      step = Math.min(step * 2, MAX_WAIT_STEP_MS);
    };
    for (;;) {
      let fd: number;
      const since = performance.now();
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
        await pause('Another writer held this session’s lock');
        continue;
      }
      // A write to publish looks for a sweep of its shard, now that it holds the lock.
      const sweeping: Promise<boolean | { error: unknown }> =
        expiresAt === undefined
          ? Promise.resolve(false)
          : this.#sweepUnderWay(paths.shardDir).catch((error: unknown) => ({ error }));
      const side = (options.alongside ?? (async () => undefined as T))().then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      let token: LockToken;
      try {
        token = await this.#fill(paths, fd, content, expiresAt, since);
      } catch (error) {
        await side;
        throw error;
      }
      const [outcome, swept] = await Promise.all([side, sweeping]);
      if ('error' in outcome || swept !== false) {
        await this.release(paths, token);
        if ('error' in outcome) throw outcome.error;
        if (typeof swept === 'object') throw swept.error;
        await pause('A sweep of this session’s shard went on');
        continue;
      }
      return { token, alongside: outcome.value };
    }
  }

  /**
   * True while a sweep marks the shard. A mark left by a sweeper that died is
   * broken as a stale lock is (its owner is dead, or it is older than `staleMs`).
   */
  async #sweepUnderWay(shardDir: string): Promise<boolean> {
    const marker = sweepMarker(shardDir);
    if (!(await statIfExists(marker.temp))) return false;
    return (await this.breakIfStale(marker)) === 'busy';
  }

  /**
   * Marks a shard for a sweep, so writers wait: `true` when this sweep holds
   * the mark, `false` when another sweep does (or the shard is gone).
   */
  async markSweep(shardDir: string): Promise<boolean> {
    const marker = sweepMarker(shardDir);
    for (let attempt = 0; attempt < 2; attempt++) {
      let fd: number;
      try {
        fd = await open(marker.temp, 'wx', this.#settings.fileMode);
      } catch (error) {
        const code = errorCode(error);
        if (code === 'ENOENT') return false;
        if (code !== 'EEXIST') throw error;
        if ((await this.breakIfStale(marker)) === 'busy') return false;
        continue;
      }
      try {
        await writeAll(fd, LOCK_ONLY);
      } finally {
        await close(fd);
      }
      return true;
    }
    return false;
  }

  /** Removes this sweep's mark from a shard. */
  async unmarkSweep(shardDir: string): Promise<void> {
    await unlinkIfExists(sweepMarker(shardDir).temp);
  }

  /** Publishes the temp file as the record, replacing any, and releases the lock. */
  async publish(paths: RecordPaths): Promise<void> {
    await rename(paths.temp, paths.file);
    if (this.#settings.fsync) await fsyncDirectory(paths.shardDir);
  }

  /**
   * Releases the lock without publishing; a lock taken over meanwhile is left
   * to its new owner. Within `staleMs` of taking it, no one can have taken it
   * over (it names this live process), so it is removed without a look; a
   * lock held longer is removed only if it is still this writer's file, and
   * left for the next writer to break when that cannot be known.
   */
  async release(paths: RecordPaths, token: LockToken): Promise<void> {
    if (token.ino === undefined) {
      if (performance.now() - token.since < this.#settings.staleMs - CLOCK_SLACK_MS) {
        await unlinkIfExists(paths.temp);
      }
      return;
    }
    if (await this.#holds(paths, token.ino)) await unlinkIfExists(paths.temp);
  }

  /** Removes a lock (a record's, or a sweep's mark) if it is stale; `busy` when a live owner holds it. */
  async breakIfStale(paths: LockPaths): Promise<BreakOutcome> {
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

  async #holds(paths: RecordPaths, ino: number): Promise<boolean> {
    return (await statIfExists(paths.temp))?.ino === ino;
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
   * Writes the lock's content, sets its expiry and closes it. A lock found
   * empty after the grace may have been broken while this writer stalled
   * before its first write: a writer that took longer than that to write
   * checks the temp file is still its own. Independent steps run together.
   */
  async #fill(
    paths: RecordPaths,
    fd: number,
    content: Buffer,
    expiresAt: number | undefined,
    since: number,
  ): Promise<LockToken> {
    let token: LockToken | undefined;
    try {
      await writeAll(fd, content);
      // After the write, which would move mtime again. An access time after
      // the modification time keeps relatime from writing the inode on reads
      // (and tells the sweep the store wrote the file: see `isStoreWritten`).
      const timed = expiresAt === undefined ? undefined : futimes(fd, expiresAt + 1, expiresAt);
      // The owner is in the file now. Written sooner than a breaker can call
      // an empty lock stale, it cannot have been broken: no need to look.
      const safeMs = Math.min(EMPTY_LOCK_GRACE_MS, this.#settings.staleMs) - CLOCK_SLACK_MS;
      const written = performance.now() - since < safeMs;
      if (written) {
        await timed;
        token = { since };
      } else {
        const [stats] = await Promise.all([fstat(fd), timed]);
        token = { since, ino: stats.ino };
      }
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
      if (ino !== undefined) await this.release(paths, { since, ino }).catch(() => undefined);
      throw error;
    }
    const [closed, held] = await Promise.allSettled([
      close(fd),
      token.ino === undefined ? true : this.#holds(paths, token.ino),
    ]);
    if (closed.status === 'rejected' || held.status === 'rejected' || !held.value) {
      await this.release(paths, token).catch(() => undefined);
      if (held.status === 'fulfilled' && !held.value) throw lostLock();
      throw closed.status === 'rejected' ? closed.reason : (held as PromiseRejectedResult).reason;
    }
    return token;
  }
}
