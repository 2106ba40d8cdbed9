import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  assertDestroyByUser,
  assertExpiry,
  assertListOptions,
  assertSessionId,
  assertWrite,
  type Clock,
  type DestroyByUserOptions,
  IntervalSweeper,
  InvalidOptionError,
  type ListOptions,
  type ListPage,
  type SessionRecord,
  type SessionStore,
  type StoreCapabilities,
  type StoredSession,
  StoreUnavailableError,
  type UpdateOptions,
  type WriteResult,
  withTimeout,
} from '@sess/core';
import { prepareDirectory } from './directory-check.js';
import { unavailable } from './errors.js';
import type { CorruptRecordEvent, FileStoreEvents } from './events.js';
import {
  closeQuietly,
  errorCode,
  fsync,
  fsyncDirectory,
  futimes,
  mkdirp,
  readdirIfExists,
  rename,
  statIfExists,
  streamNames,
  unlinkIfExists,
} from './fs-calls.js';
import { KeyedQueue } from './keyed-queue.js';
import {
  BREAK_SUFFIX,
  idOfFileName,
  isShardName,
  Layout,
  type RecordPaths,
  TEMP_SUFFIX,
} from './layout.js';
import { inBatches, listRecords, listUserRecords } from './listing.js';
import { type LockToken, RecordLocks } from './locks.js';
import { type FileStoreOptions, resolveOptions } from './options.js';
import {
  encodeRecord,
  expiryOf,
  LOCK_ONLY,
  openRecord,
  type ReadRecord,
  type ReadResult,
  type ReadRules,
  readOpenRecord,
  readRecordFile,
  recordFileLimit,
} from './record-file.js';
import type { Sweeper, SweeperOptions, SweepReport } from './sweeper.js';
import { UserIndex } from './user-index.js';

const DEFAULT_PAGE = 100;
const MAX_PAGE = 10_000;
/** Records checked at once by walks over many of them (count, sweeps, destroyByUser). */
const BATCH = 64;

const OK_MISSING: WriteResult = { ok: false, reason: 'missing' };
const OK_CONFLICT: WriteResult = { ok: false, reason: 'conflict' };
const OK_EXISTS: WriteResult = { ok: false, reason: 'exists' };

/**
 * A session store in a directory of files, for one machine: development,
 * tests, and single-host deployments with one or several processes.
 *
 * Each record is one file, replaced whole by `rename`, so a reader never sees
 * half a record, even across a crash. Writers to one record coordinate
 * through a lock file, so `create` and `update` with `ifVersion` keep their
 * contract between processes sharing the directory. The expiry is the file's
 * modification time: `touch` moves it without rewriting the record.
 *
 * Unreadable records are moved to `corrupt/` and reported with a `corrupt`
 * event; they read as missing.
 *
 * @example
 * import { FileStore } from '@sess/file';
 *
 * const store = new FileStore({ directory: './.data/sessions' });
 * store.on('corrupt', ({ reason, movedTo }) => console.warn('corrupt session file', reason, movedTo));
 * const sweeper = store.startSweeper({ intervalMs: 10 * 60_000 });
 *
 * const created = await store.create('abc', { data: '{}', expiresAt: Date.now() + 3_600_000 });
 */
export class FileStore extends EventEmitter<FileStoreEvents> implements SessionStore {
  readonly capabilities: StoreCapabilities;
  /** The absolute path of the directory the store owns. */
  readonly directory: string;

  readonly #layout: Layout;
  readonly #locks: RecordLocks;
  readonly #users: UserIndex;
  readonly #queue = new KeyedQueue();
  readonly #now: Clock;
  readonly #timeoutMs: number;
  readonly #readRules: ReadRules;
  readonly #fsync: boolean;
  readonly #fileMode: number;
  readonly #directoryMode: number;
  readonly #sweepers = new Set<Sweeper>();
  /** Work of operations not yet finished, including any whose caller timed out. */
  readonly #inflight = new Set<Promise<unknown>>();
  #closed = false;
  #closing: Promise<void> | undefined;

  /** @throws InvalidOptionError for bad options or a directory the store cannot write. */
  constructor(options: FileStoreOptions) {
    super();
    const resolved = resolveOptions(options);
    prepareDirectory(resolved);
    this.directory = resolved.directory;
    this.#layout = new Layout(resolved.directory);
    this.#users = new UserIndex(this.#layout, resolved.fileMode, resolved.directoryMode);
    this.#now = resolved.now;
    this.#timeoutMs = resolved.operationTimeoutMs;
    this.#readRules = {
      maxFileBytes: recordFileLimit(resolved.maxPayloadBytes),
      owner: resolved.allowSharedDirectory ? undefined : process.getuid?.(),
    };
    this.#fsync = resolved.fsync;
    this.#fileMode = resolved.fileMode;
    this.#directoryMode = resolved.directoryMode;
    this.#locks = new RecordLocks({
      fileMode: resolved.fileMode,
      directoryMode: resolved.directoryMode,
      staleMs: resolved.lockStaleMs,
      fsync: resolved.fsync,
    });
    this.capabilities = {
      expiry: 'sweep',
      list: true,
      count: true,
      users: true,
      clear: true,
      ttlResolutionMs: 0,
      maxPayloadBytes: resolved.maxPayloadBytes,
      operationTimeoutMs: resolved.operationTimeoutMs,
    };
  }

  async get(id: string): Promise<StoredSession | null> {
    this.#assertOpen();
    assertSessionId(id);
    return this.#bounded('get', async (deadline) => {
      const paths = this.#layout.record(id);
      const read = await this.#read(paths.file);
      if (read.kind === 'corrupt') {
        // Past its mtime a file is expired, corrupt or not: the sweep moves it.
        if (this.#live(read)) await this.#quarantine(paths, deadline);
        return null;
      }
      if (read.kind === 'absent' || !this.#live(read.record)) return null;
      return toStored(read.record);
    });
  }

  async create(id: string, record: SessionRecord): Promise<WriteResult> {
    this.#assertOpen();
    assertWrite(id, record, this.#limits());
    return this.#bounded('create', (deadline) => {
      const paths = this.#layout.record(id);
      return this.#queue.run(paths.file, () => this.#create(paths, record, deadline));
    });
  }

  async update(id: string, record: SessionRecord, options?: UpdateOptions): Promise<WriteResult> {
    this.#assertOpen();
    assertWrite(id, record, this.#limits());
    const ifVersion = options?.ifVersion;
    if (ifVersion !== undefined && typeof ifVersion !== 'string') {
      throw new InvalidOptionError('ifVersion must be the version string a read returned.');
    }
    return this.#bounded('update', (deadline) => {
      const paths = this.#layout.record(id);
      return this.#queue.run(paths.file, async (waited) => {
        // Behind another write to this record, a compare-and-set has likely
        // lost already. Versions are never reused, so a live record at another
        // version is a final conflict: one read settles it, without the lock.
        if (waited && ifVersion !== undefined) {
          const current = await this.#read(paths.file);
          if (current.kind === 'record' && this.#live(current.record)) {
            if (current.record.version !== ifVersion) return OK_CONFLICT;
          }
        }
        return this.#update(paths, record, ifVersion, deadline);
      });
    });
  }

  async touch(id: string, expiresAt: number): Promise<boolean> {
    this.#assertOpen();
    assertSessionId(id);
    assertExpiry(expiresAt, this.#now());
    return this.#bounded('touch', async (deadline) => {
      const paths = this.#layout.record(id);
      // No lock: futimes on the descriptor just read changes that version's
      // expiry only. A writer that renamed a newer version over it meanwhile
      // comes after this touch, with its own expiry.
      const fd = await openRecord(paths.file);
      if (fd === undefined) return false;
      if (fd === 'link') {
        await this.#quarantine(paths, deadline);
        return false;
      }
      let read: ReadResult;
      try {
        read = await readOpenRecord(fd, this.#readRules);
        if (read.kind === 'record' && this.#live(read.record)) {
          await futimes(fd, expiresAt + 1, expiresAt);
          if (this.#fsync) await fsync(fd);
          return true;
        }
      } finally {
        // Nothing was written through it but the times, which futimes has set.
        closeQuietly(fd);
      }
      if (read.kind === 'corrupt' && this.#live(read)) await this.#quarantine(paths, deadline);
      return false;
    });
  }

  async destroy(id: string): Promise<void> {
    this.#assertOpen();
    assertSessionId(id);
    await this.#bounded('destroy', (deadline) => {
      const paths = this.#layout.record(id);
      return this.#queue.run(paths.file, () => this.#remove(paths, deadline, 'any'));
    });
  }

  /**
   * Pages ids in file-name order, shard by shard. Each page streams the
   * shards it visits and keeps only `limit` names in memory; the cursor is
   * the last name returned, so records created or destroyed between pages
   * never make a page repeat or skip the others.
   */
  async list(options?: ListOptions): Promise<ListPage> {
    this.#assertOpen();
    const limit = assertListOptions(options, { limit: DEFAULT_PAGE, maxLimit: MAX_PAGE });
    const { cursor, userId } = options ?? {};
    return this.#bounded('list', () =>
      userId === undefined
        ? listRecords(this.#layout, limit, cursor, this.#now())
        : listUserRecords(
            this.#layout,
            userId,
            limit,
            cursor,
            (file) => this.#read(file),
            (record) => this.#live(record),
          ),
    );
  }

  /** Counts live records by streaming every shard and reading each file's expiry. */
  async count(): Promise<number> {
    this.#assertOpen();
    return this.#track(this.#count());
  }

  async #count(): Promise<number> {
    const now = this.#now();
    let live = 0;
    await this.#walk('count', async (names, shardDir) => {
      const stats = await Promise.all(
        names
          .filter((n) => idOfFileName(n) !== undefined)
          .map((n) => statIfExists(`${shardDir}/${n}`)),
      );
      for (const s of stats) if (s && expiryOf(s) > now) live++;
    });
    return live;
  }

  async destroyByUser(userId: string, options?: DestroyByUserOptions): Promise<number> {
    this.#assertOpen();
    const except = assertDestroyByUser(userId, options);
    return this.#track(this.#destroyByUser(userId, except));
  }

  async #destroyByUser(userId: string, except: string | undefined): Promise<number> {
    let destroyed = 0;
    try {
      for await (const names of inBatches(this.#users.entries(userId), BATCH)) {
        const outcomes = await Promise.all(
          names.map((name) => {
            const id = idOfFileName(name);
            if (id === undefined || id === except) return false;
            const paths = this.#layout.record(id);
            return this.#step('destroyByUser', (deadline) =>
              this.#queue.run(paths.file, () => this.#removeForUser(paths, userId, deadline)),
            );
          }),
        );
        destroyed += outcomes.filter(Boolean).length;
      }
    } catch (error) {
      throw unavailable(error, 'destroyByUser');
    }
    return destroyed;
  }

  async clearExpired(): Promise<number> {
    this.#assertOpen();
    return (await this.#track(this.#sweep())).deleted;
  }

  /** Removes every record and user index entry. Files in `corrupt/` are kept. */
  async clear(): Promise<void> {
    this.#assertOpen();
    await this.#track(this.#clear());
  }

  async #clear(): Promise<void> {
    await this.#walk('clear', async (names, shardDir) => {
      await Promise.all(
        names.map(async (name) => {
          const id = idOfFileName(name);
          if (id === undefined) return;
          const paths = this.#layout.record(id);
          if (paths.shardDir !== shardDir) return;
          await this.#step('clear', (deadline) =>
            this.#queue.run(paths.file, () => this.#remove(paths, deadline, 'any')),
          );
        }),
      );
    });
    await this.#pruneUserIndex('clear');
  }

  /**
   * Runs `clearExpired()` (and removes temp files of writers that died) every
   * `intervalMs`, on a timer that never keeps the process alive. `close()`
   * stops it.
   *
   * @example
   * const sweeper = store.startSweeper({ intervalMs: 600_000, onError: (e) => log.warn(e) });
   * // later: await sweeper.stop();
   */
  startSweeper(options: SweeperOptions): Sweeper {
    this.#assertOpen();
    const sweeper = new IntervalSweeper(async () => {
      this.#assertOpen();
      return this.#track(this.#sweep());
    }, options);
    this.#sweepers.add(sweeper);
    const stop = sweeper.stop.bind(sweeper);
    return {
      get stats() {
        return sweeper.stats;
      },
      runNow: () => sweeper.runNow(),
      stop: async () => {
        this.#sweepers.delete(sweeper);
        await stop();
      },
    };
  }

  /**
   * Stops the sweepers and refuses new operations, then waits for every
   * operation already started, including one whose caller timed out: once
   * `close()` resolves, the store writes nothing more to the directory.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    const sweepers = [...this.#sweepers];
    this.#sweepers.clear();
    await Promise.all(sweepers.map((s) => s.stop()));
    while (this.#inflight.size > 0) await Promise.all(this.#inflight);
  }

  // ---- writes -------------------------------------------------------------

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
    const held = await this.#locks.acquire(paths, content, expiresAt, deadline, {
      wait,
      alongside: () => this.#read(paths.file),
    });
    return held && { token: held.token, current: held.alongside };
  }

  async #create(paths: RecordPaths, record: SessionRecord, deadline: number): Promise<WriteResult> {
    const version = randomUUID();
    const content = encodeRecord({ version, data: record.data, userId: record.userId });
    const lock = await this.#lockAndRead(paths, content, record.expiresAt, deadline);
    if (!lock) throw new StoreUnavailableError('The session lock could not be taken.');
    const { token, current } = lock;
    let held = true;
    try {
      if (current.kind === 'record' && this.#live(current.record)) return OK_EXISTS;
      if (current.kind === 'corrupt') await this.#moveAside(paths, current.reason);
      // The index entry goes in before the record, so no record ever lacks one.
      if (record.userId !== undefined) await this.#users.add(record.userId, paths);
      // Absent, expired or moved aside; every writer of this record holds the
      // lock first, so nothing can appear here before the rename.
      checkDeadline(deadline);
      await this.#locks.publish(paths);
      held = false;
      return { ok: true, version };
    } finally {
      if (held) await this.#locks.release(paths, token);
    }
  }

  async #update(
    paths: RecordPaths,
    record: SessionRecord,
    ifVersion: string | undefined,
    deadline: number,
  ): Promise<WriteResult> {
    const version = randomUUID();
    const content = encodeRecord({ version, data: record.data, userId: record.userId });
    // Written before the check: conflicts are rare, and the temp file then
    // names its owner from the first moment, for crash recovery.
    const lock = await this.#lockAndRead(paths, content, record.expiresAt, deadline);
    if (!lock) throw new StoreUnavailableError('The session lock could not be taken.');
    const { token, current } = lock;
    let held = true;
    let previousUser: string | undefined;
    try {
      if (current.kind === 'corrupt') {
        await this.#moveAside(paths, current.reason);
        return OK_MISSING;
      }
      if (current.kind === 'absent' || !this.#live(current.record)) return OK_MISSING;
      if (ifVersion !== undefined && current.record.version !== ifVersion) return OK_CONFLICT;
      previousUser = current.record.userId;
      if (record.userId !== undefined && record.userId !== previousUser) {
        await this.#users.add(record.userId, paths);
      }
      checkDeadline(deadline);
      await this.#locks.publish(paths);
      held = false;
    } finally {
      if (held) await this.#locks.release(paths, token);
    }
    if (previousUser !== undefined && previousUser !== record.userId) {
      await this.#dropUserEntryIfStale(paths, previousUser, deadline);
    }
    return { ok: true, version };
  }

  /**
   * Removes the record under its lock, with its user index entry. `expired`
   * removes it only if it has expired (the sweep), and returns whether it did.
   */
  async #remove(paths: RecordPaths, deadline: number, which: 'any' | 'expired'): Promise<boolean> {
    // A sweep never waits for a writer: that record is in use, not expired.
    const lock = await this.#lockAndRead(paths, LOCK_ONLY, undefined, deadline, which === 'any');
    if (!lock) return false;
    const { token, current } = lock;
    try {
      if (current.kind === 'absent') return false;
      if (which === 'expired') {
        // A file rewritten by anything but this store has the time of that
        // write as its mtime, so it looks expired: keep it for inspection.
        if (current.kind === 'corrupt') {
          await this.#moveAside(paths, current.reason);
          return false;
        }
        if (current.kind !== 'record' || this.#live(current.record)) return false;
      }
      checkDeadline(deadline);
      await unlinkIfExists(paths.file);
      if (this.#fsync) await fsyncDirectory(paths.shardDir);
      const userId = current.kind === 'record' ? current.record.userId : undefined;
      if (userId !== undefined) await this.#users.remove(userId, paths);
      return true;
    } finally {
      await this.#locks.release(paths, token);
    }
  }

  /** destroyByUser's step: removes the record if it is this user's; true if it was live. */
  async #removeForUser(paths: RecordPaths, userId: string, deadline: number): Promise<boolean> {
    const lock = await this.#lockAndRead(paths, LOCK_ONLY, undefined, deadline);
    if (!lock) throw new StoreUnavailableError('The session lock could not be taken.');
    const { token, current } = lock;
    try {
      let wasLive = false;
      if (current.kind === 'record' && current.record.userId === userId) {
        wasLive = this.#live(current.record);
        checkDeadline(deadline);
        await unlinkIfExists(paths.file);
        if (this.#fsync) await fsyncDirectory(paths.shardDir);
      } else if (current.kind === 'corrupt') {
        await this.#moveAside(paths, current.reason);
      }
      // Gone, another user's now, or just removed: the entry has no record to point at.
      await this.#users.remove(userId, paths);
      return wasLive;
    } finally {
      await this.#locks.release(paths, token);
    }
  }

  // ---- corruption ---------------------------------------------------------

  /** Moves a corrupt record aside if it still is corrupt; skips if a writer holds it. */
  async #quarantine(paths: RecordPaths, deadline: number): Promise<void> {
    await this.#queue.run(paths.file, async () => {
      const lock = await this.#lockAndRead(paths, LOCK_ONLY, undefined, deadline, false);
      if (!lock) return;
      try {
        if (lock.current.kind === 'corrupt') await this.#moveAside(paths, lock.current.reason);
      } finally {
        await this.#locks.release(paths, lock.token);
      }
    });
  }

  /** With the record's lock held: renames the file into `corrupt/` and reports it. */
  async #moveAside(paths: RecordPaths, reason: string): Promise<void> {
    const target = `${this.#layout.corruptDir}/${paths.name}.${Date.now()}.${randomUUID().slice(0, 8)}.corrupt`;
    let movedTo: string | undefined = target;
    try {
      await rename(paths.file, target);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
      await mkdirp(this.#layout.corruptDir, this.#directoryMode);
      try {
        await rename(paths.file, target);
      } catch (again) {
        if (errorCode(again) !== 'ENOENT') throw again;
        movedTo = undefined;
      }
    }
    const event: CorruptRecordEvent = { id: paths.id, reason, movedTo };
    // Emitted on the next tick: a throwing listener is the listener's error, not this write's.
    process.nextTick(() => this.emit('corrupt', event));
  }

  // ---- user index ---------------------------------------------------------

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
          await this.#users.remove(userId, paths);
        }
      } finally {
        await this.#locks.release(paths, lock.token);
      }
    } catch {
      // The update is done; the stale entry waits for the next destroyByUser or sweep.
    }
  }

  /**
   * Removes user index entries whose record file is gone (left by a crash
   * between writing the entry and the record), each under its record's lock.
   */
  async #pruneUserIndex(what: string): Promise<void> {
    await this.#users.prune(BATCH, async (paths, entry) => {
      // Most entries have their record: a stat settles them without the lock.
      if (await statIfExists(paths.file)) return;
      await this.#step(what, (deadline) =>
        this.#queue.run(paths.file, async () => {
          const lock = await this.#locks.acquire(paths, LOCK_ONLY, undefined, deadline, {
            wait: false,
          });
          if (!lock) return;
          try {
            if (!(await statIfExists(paths.file))) await unlinkIfExists(entry);
          } finally {
            await this.#locks.release(paths, lock.token);
          }
        }),
      );
    });
  }

  // ---- sweeping -----------------------------------------------------------

  async #sweep(): Promise<SweepReport> {
    const started = Date.now();
    let deleted = 0;
    let staleTemps = 0;
    await this.#walk(
      'clearExpired',
      async (names, shardDir) => {
        const now = this.#now();
        await Promise.all(
          names.map(async (name) => {
            const id = idOfFileName(name);
            if (id !== undefined) {
              const paths = this.#layout.record(id);
              if (paths.shardDir !== shardDir) return;
              const stats = await statIfExists(paths.file);
              if (!stats || expiryOf(stats) > now) return;
              const removed = await this.#step('clearExpired', (deadline) =>
                this.#queue.run(paths.file, () => this.#remove(paths, deadline, 'expired')),
              );
              if (removed) deleted++;
            } else if (name.endsWith(TEMP_SUFFIX)) {
              const owner = idOfFileName(name.slice(0, -TEMP_SUFFIX.length));
              if (owner === undefined) return;
              const paths = this.#layout.record(owner);
              if (paths.shardDir !== shardDir) return;
              const outcome = await this.#locks.breakIfStale(paths);
              if (outcome === 'broken') staleTemps++;
            } else if (name.endsWith(BREAK_SUFFIX)) {
              await this.#locks.removeStaleBreaker(`${shardDir}/${name}`);
            }
          }),
        );
      },
      true,
    );
    await this.#pruneUserIndex('clearExpired');
    return { deleted, staleTemps, durationMs: Date.now() - started };
  }

  /**
   * Streams every shard in batches of names; `all` also passes names of
   * temp and marker files, not only records.
   */
  async #walk(
    what: string,
    visit: (names: string[], shardDir: string) => Promise<void>,
    all = false,
  ): Promise<void> {
    try {
      for (const shard of await readdirIfExists(this.#layout.recordsDir)) {
        if (!isShardName(shard)) continue;
        const shardDir = this.#layout.shardDir(shard);
        for await (const names of inBatches(streamNames(shardDir), BATCH)) {
          await visit(all ? names : names.filter((n) => !n.includes('.')), shardDir);
        }
      }
    } catch (error) {
      throw unavailable(error, what);
    }
  }

  // ---- helpers ------------------------------------------------------------

  #live(record: { readonly expiresAt?: number | undefined }): boolean {
    // A file whose times could not be read counts as live, so it is looked at.
    return record.expiresAt === undefined || record.expiresAt > this.#now();
  }

  /** Reads a record file, refusing one too large for a record or owned by another user. */
  #read(file: string): Promise<ReadResult> {
    return readRecordFile(file, this.#readRules);
  }

  #limits() {
    return { now: this.#now(), maxPayloadBytes: this.capabilities.maxPayloadBytes };
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreUnavailableError('This FileStore is closed.');
  }

  /** Runs one operation with its deadline, mapping file-system errors. */
  #bounded<T>(what: string, run: (deadline: number) => Promise<T>): Promise<T> {
    // Also checked here, not only on entry: a walk over many records runs
    // one bounded step per record, and stops at the first after close().
    this.#assertOpen();
    const deadline = Date.now() + this.#timeoutMs;
    const work = run(deadline).catch((error: unknown) => {
      throw unavailable(error, what);
    });
    // The caller stops waiting at the timeout; the work may still be in a
    // file-system call, and close() waits for it.
    return withTimeout(this.#track(work), this.#timeoutMs, `FileStore.${what}`);
  }

  /** Registers work that close() must wait for. */
  #track<T>(work: Promise<T>): Promise<T> {
    const settled = work.then(ignore, ignore);
    this.#inflight.add(settled);
    void settled.then(() => this.#inflight.delete(settled));
    return work;
  }

  /** One step of a walk over many records, bounded like an operation. */
  #step<T>(what: string, run: (deadline: number) => Promise<T>): Promise<T> {
    return this.#bounded(what, run);
  }
}

function toStored(record: ReadRecord): StoredSession {
  const { data, expiresAt, userId, version } = record;
  return userId === undefined ? { data, expiresAt, version } : { data, expiresAt, userId, version };
}

function ignore(): void {}

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
