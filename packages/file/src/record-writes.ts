import { randomUUID } from 'node:crypto';
import type { SessionRecord, WriteResult } from '@sess/core';
import { StoreUnavailableError } from '@sess/core';
import { refused } from '@sess/core/store-kit';
import type { CorruptRecordEvent } from './events.js';
import { errorCode, fsyncDirectory, mkdirp, rename, unlinkIfExists } from './fs-calls.js';
import type { KeyedQueue } from './keyed-queue.js';
import type { Layout, RecordPaths } from './layout.js';
import type { LockToken, RecordLocks } from './locks.js';
import { encodeRecord, LOCK_ONLY, type ReadResult } from './record-file.js';
import type { UserIndex } from './user-index.js';

/** What the writes need from the store that runs them. */
export interface RecordWriterOptions {
  readonly layout: Layout;
  readonly locks: RecordLocks;
  readonly users: UserIndex;
  readonly queue: KeyedQueue;
  readonly fsync: boolean;
  readonly directoryMode: number;
  /** Reads a record file as the store does (within its size limit, owned by it). */
  readonly read: (file: string) => Promise<ReadResult>;
  /** True while a record (or a file whose times could not be read) is live. */
  readonly live: (record: { readonly expiresAt?: number | undefined }) => boolean;
  /** Reports a corrupt record moved aside. */
  readonly onCorrupt: (event: CorruptRecordEvent) => void;
}

/**
 * Every change to a record, each under the record's lock, so that writers
 * in any process sharing the directory see one order: create, update,
 * remove, and moving a corrupt record aside. The caller runs each inside
 * its in-process queue for the record (`KeyedQueue`) and within a deadline.
 */
export class RecordWriter {
  readonly #o: RecordWriterOptions;

  constructor(options: RecordWriterOptions) {
    this.#o = options;
  }

  async create(paths: RecordPaths, record: SessionRecord, deadline: number): Promise<WriteResult> {
    const { locks, users, live } = this.#o;
    const { version, token, current } = await this.#lockToWrite(paths, record, deadline);
    let held = true;
    try {
      if (current.kind === 'record' && live(current.record)) return refused.exists;
      if (current.kind === 'corrupt') await this.#moveAside(paths, current.reason);
      // The index entry goes in before the record, so no record ever lacks one.
      if (record.userId !== undefined) await users.add(record.userId, paths);
      // Absent, expired or moved aside; every writer of this record holds the
      // lock first, so nothing can appear here before the rename.
      checkDeadline(deadline);
      await locks.publish(paths);
      held = false;
      return { ok: true, version };
    } finally {
      if (held) await locks.release(paths, token);
    }
  }

  async update(
    paths: RecordPaths,
    record: SessionRecord,
    ifVersion: string | undefined,
    deadline: number,
  ): Promise<WriteResult> {
    const { locks, users, live } = this.#o;
    const { version, token, current } = await this.#lockToWrite(paths, record, deadline);
    let held = true;
    let previousUser: string | undefined;
    try {
      if (current.kind === 'corrupt') {
        await this.#moveAside(paths, current.reason);
        return refused.missing;
      }
      if (current.kind === 'absent' || !live(current.record)) return refused.missing;
      if (ifVersion !== undefined && current.record.version !== ifVersion) return refused.conflict;
      previousUser = current.record.userId;
      if (record.userId !== undefined && record.userId !== previousUser) {
        await users.add(record.userId, paths);
      }
      checkDeadline(deadline);
      await locks.publish(paths);
      held = false;
    } finally {
      if (held) await locks.release(paths, token);
    }
    if (previousUser !== undefined && previousUser !== record.userId) {
      await this.#dropUserEntryIfStale(paths, previousUser, deadline);
    }
    return { ok: true, version };
  }

  /**
   * Removes the record, whatever it holds, under its lock, so a write racing
   * it either lands before it (and is removed) or finds the record gone. It
   * reads nothing: the user index entry it leaves points at no record, which
   * every use of the index checks, and the next sweep (or the `clear()` that
   * called it) removes it. That keeps
   * a logout to the lock and one unlink (5 system calls, against 9 with a
   * read of the record for its entry).
   */
  async discard(paths: RecordPaths, deadline: number): Promise<void> {
    const { locks } = this.#o;
    checkDeadline(deadline);
    const held = await locks.acquire(paths, LOCK_ONLY, undefined, deadline);
    if (!held) throw new StoreUnavailableError('The session lock could not be taken.');
    try {
      checkDeadline(deadline);
      await this.#unlink(paths);
    } finally {
      await locks.release(paths, held.token);
    }
  }

  /**
   * The sweep's removal of a record it could not judge by its metadata:
   * removes it with its user index entry if it has expired, and returns
   * whether it did. It never waits for a writer: that record is in use, not
   * expired.
   */
  async removeIfExpired(paths: RecordPaths, deadline: number): Promise<boolean> {
    const { locks, users, live } = this.#o;
    const lock = await this.#lockAndRead(paths, LOCK_ONLY, undefined, deadline, false);
    if (!lock) return false;
    const { token, current } = lock;
    try {
      // A file rewritten by anything but this store has the time of that
      // write as its mtime, so it looks expired: keep it for inspection.
      if (current.kind === 'corrupt') {
        await this.#moveAside(paths, current.reason);
        return false;
      }
      if (current.kind !== 'record' || live(current.record)) return false;
      checkDeadline(deadline);
      await this.#unlink(paths);
      if (current.record.userId !== undefined) await users.remove(current.record.userId, paths);
      return true;
    } finally {
      await locks.release(paths, token);
    }
  }

  /** destroyByUser's step: removes the record if it is this user's; true if it was live. */
  async removeForUser(paths: RecordPaths, userId: string, deadline: number): Promise<boolean> {
    const { locks, users, live } = this.#o;
    const lock = await this.#lockAndRead(paths, LOCK_ONLY, undefined, deadline);
    if (!lock) throw new StoreUnavailableError('The session lock could not be taken.');
    const { token, current } = lock;
    try {
      let wasLive = false;
      if (current.kind === 'record' && current.record.userId === userId) {
        wasLive = live(current.record);
        checkDeadline(deadline);
        await this.#unlink(paths);
      } else if (current.kind === 'corrupt') {
        await this.#moveAside(paths, current.reason);
      }
      // Gone, another user's now, or just removed: the entry has no record to point at.
      await users.remove(userId, paths);
      return wasLive;
    } finally {
      await locks.release(paths, token);
    }
  }

  /** Moves a corrupt record aside if it still is corrupt; skips if a writer holds it. */
  async quarantine(paths: RecordPaths, deadline: number): Promise<void> {
    await this.#o.queue.run(paths.file, async () => {
      const lock = await this.#lockAndRead(paths, LOCK_ONLY, undefined, deadline, false);
      if (!lock) return;
      try {
        if (lock.current.kind === 'corrupt') await this.#moveAside(paths, lock.current.reason);
      } finally {
        await this.#o.locks.release(paths, lock.token);
      }
    });
  }

  /**
   * Takes the record's lock with the new version already in its temp file,
   * and reads the current record. Written before any check: refusals are
   * rare, and the temp file then names its owner from the first moment, for
   * crash recovery.
   */
  async #lockToWrite(paths: RecordPaths, record: SessionRecord, deadline: number) {
    const version = randomUUID();
    const content = encodeRecord({ version, data: record.data, userId: record.userId });
    const lock = await this.#lockAndRead(paths, content, record.expiresAt, deadline);
    if (!lock) throw new StoreUnavailableError('The session lock could not be taken.');
    return { version, ...lock };
  }

  /**
   * Takes the record's lock (writing `content` into its temp file) and reads
   * the current record meanwhile. `undefined` when `wait` is false and a
   * writer holds the lock.
   */
  async #lockAndRead(
    paths: RecordPaths,
    content: Buffer,
    expiresAt: number | undefined,
    deadline: number,
    wait = true,
  ): Promise<{ token: LockToken; current: ReadResult } | undefined> {
    checkDeadline(deadline);
    const held = await this.#o.locks.acquire(paths, content, expiresAt, deadline, {
      wait,
      alongside: () => this.#o.read(paths.file),
    });
    return held && { token: held.token, current: held.alongside };
  }

  async #unlink(paths: RecordPaths): Promise<void> {
    await unlinkIfExists(paths.file);
    if (this.#o.fsync) await fsyncDirectory(paths.shardDir);
  }

  /** With the record's lock held: renames the file into `corrupt/` and reports it. */
  async #moveAside(paths: RecordPaths, reason: string): Promise<void> {
    const { layout, directoryMode, onCorrupt } = this.#o;
    const target = `${layout.corruptDir}/${paths.name}.${Date.now()}.${randomUUID().slice(0, 8)}.corrupt`;
    let movedTo: string | undefined = target;
    try {
      await rename(paths.file, target);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
      await mkdirp(layout.corruptDir, directoryMode);
      try {
        await rename(paths.file, target);
      } catch (again) {
        if (errorCode(again) !== 'ENOENT') throw again;
        movedTo = undefined;
      }
    }
    onCorrupt({ id: paths.id, reason, movedTo });
  }

  /**
   * After an update moved a record to another user: drops the old user's
   * entry, under the lock again, if the record is still not theirs. Best
   * effort: a stale entry is harmless, because every use checks the record.
   */
  async #dropUserEntryIfStale(paths: RecordPaths, userId: string, deadline: number): Promise<void> {
    try {
      const lock = await this.#lockAndRead(paths, LOCK_ONLY, undefined, deadline, false);
      if (!lock) return;
      try {
        const { current } = lock;
        if (current.kind !== 'record' || current.record.userId !== userId) {
          await this.#o.users.remove(userId, paths);
        }
      } finally {
        await this.#o.locks.release(paths, lock.token);
      }
    } catch {
      // The update is done; the stale entry waits for the next destroyByUser or sweep.
    }
  }
}

/**
 * Checked before a write starts and again before it takes effect: work whose
 * caller has timed out stops there, so a write reported as failed does not
 * land later (unless the timer fired during its final rename or unlink).
 */
function checkDeadline(deadline: number): void {
  if (Date.now() > deadline) {
    throw new StoreUnavailableError(
      'The operation ran past operationTimeoutMs and was abandoned before it took effect.',
    );
  }
}
