import { EventEmitter } from 'node:events';
import type {
  Clock,
  DestroyByUserOptions,
  ListOptions,
  ListPage,
  SessionRecord,
  SessionStore,
  StoreCapabilities,
  StoredSession,
  Sweeper,
  SweeperOptions,
  UpdateOptions,
  WriteResult,
} from '@sess/core';
import { StoreUnavailableError } from '@sess/core';
import {
  assertExpiry,
  assertSessionId,
  assertWrite,
  checkDestroyByUser,
  checkListOptions,
  checkUpdateOptions,
  refused,
  SweepScheduler,
  withTimeout,
} from '@sess/core/store-kit';
import { prepareDirectory } from './directory-check.js';
import { unavailable } from './errors.js';
import type { FileStoreEvents } from './events.js';
import {
  closeQuietly,
  fsync,
  futimes,
  lstatIfExists,
  readdirIfExists,
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
import { RecordLocks } from './locks.js';
import { type FileStoreOptions, resolveOptions } from './options.js';
import {
  expiryOf,
  isStoreWritten,
  LOCK_ONLY,
  openRecord,
  type ReadRecord,
  type ReadResult,
  type ReadRules,
  readOpenRecord,
  readRecordFile,
  recordFileLimit,
} from './record-file.js';
import { RecordWriter } from './record-writes.js';
import type { FileSweepReport } from './sweep-report.js';
import { UserIndex } from './user-index.js';

const DEFAULT_PAGE = 100;
const MAX_PAGE = 10_000;
/** Records checked at once by walks over many of them (count, sweeps, destroyByUser). */
const BATCH = 64;
/** Shards a sweep works on at once, each with BATCH / SHARDS_AT_ONCE records in flight. */
const SHARDS_AT_ONCE = 4;
const SWEEP_BATCH = BATCH / SHARDS_AT_ONCE;
/** Longest a sweep keeps writers of a shard waiting (then it lets them in and marks it again). */
const SWEEP_HOLD_MS = 200;

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
  readonly #writer: RecordWriter;
  readonly #now: Clock;
  readonly #timeoutMs: number;
  readonly #readRules: ReadRules;
  readonly #fsync: boolean;
  /** How long a sweep keeps a shard marked before letting waiting writers in. */
  readonly #sweepHoldMs: number;
  readonly #sweeps = new SweepScheduler(() => this.#track(this.#sweep()), 'FileStore');
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
    // Well inside the age at which a writer would break the mark as stale.
    this.#sweepHoldMs = Math.min(SWEEP_HOLD_MS, resolved.lockStaleMs / 4);
    this.#locks = new RecordLocks({
      fileMode: resolved.fileMode,
      directoryMode: resolved.directoryMode,
      staleMs: resolved.lockStaleMs,
      fsync: resolved.fsync,
    });
    this.#writer = new RecordWriter({
      layout: this.#layout,
      locks: this.#locks,
      users: this.#users,
      queue: this.#queue,
      fsync: resolved.fsync,
      directoryMode: resolved.directoryMode,
      live: (record) => this.#live(record),
      read: (file) => this.#read(file),
      // On the next tick: a throwing listener is the listener's error, not this write's.
      onCorrupt: (event) => process.nextTick(() => this.emit('corrupt', event)),
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
        if (this.#live(read)) await this.#writer.quarantine(paths, deadline);
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
      return this.#queue.run(paths.file, async (waited) => {
        // Behind another write to this record, a create has likely lost
        // already: a live record there is a final `exists`, found with one
        // read and no lock (the locked path below decides every other case).
        if (waited) {
          const current = await this.#read(paths.file);
          if (current.kind === 'record' && this.#live(current.record)) return refused.exists;
        }
        return this.#writer.create(paths, record, deadline);
      });
    });
  }

  async update(id: string, record: SessionRecord, options?: UpdateOptions): Promise<WriteResult> {
    this.#assertOpen();
    assertWrite(id, record, this.#limits());
    const ifVersion = checkUpdateOptions(options);
    return this.#bounded('update', (deadline) => {
      const paths = this.#layout.record(id);
      return this.#queue.run(paths.file, async (waited) => {
        // Behind another write to this record, a compare-and-set has likely
        // lost already. Versions are never reused, so a live record at another
        // version is a final conflict: one read settles it, without the lock.
        if (waited && ifVersion !== undefined) {
          const current = await this.#read(paths.file);
          if (current.kind === 'record' && this.#live(current.record)) {
            if (current.record.version !== ifVersion) return refused.conflict;
          }
        }
        return this.#writer.update(paths, record, ifVersion, deadline);
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
        await this.#writer.quarantine(paths, deadline);
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
      if (read.kind === 'corrupt' && this.#live(read))
        await this.#writer.quarantine(paths, deadline);
      return false;
    });
  }

  async destroy(id: string): Promise<void> {
    this.#assertOpen();
    assertSessionId(id);
    await this.#bounded('destroy', (deadline) => {
      const paths = this.#layout.record(id);
      return this.#queue.run(paths.file, () => this.#writer.discard(paths, deadline));
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
    const limit = checkListOptions(options, { limit: DEFAULT_PAGE, maxLimit: MAX_PAGE });
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
    const except = checkDestroyByUser(userId, options);
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
              this.#queue.run(paths.file, () =>
                this.#writer.removeForUser(paths, userId, deadline),
              ),
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
            this.#queue.run(paths.file, () => this.#writer.discard(paths, deadline)),
          );
        }),
      );
    });
    await this.#pruneUserIndex('clear');
  }

  /**
   * Runs `clearExpired()` (and removes temp files of writers that died) every
   * `intervalMs`, on a timer that never keeps the process alive. One
   * sweeper at a time; `close()` stops it.
   *
   * @example
   * const sweeper = store.startSweeper({ intervalMs: 600_000, onError: (e) => log.warn(e) });
   * // later: await sweeper.stop();
   */
  startSweeper(options: SweeperOptions<FileSweepReport>): Sweeper<FileSweepReport> {
    return this.#sweeps.start(options);
  }

  /**
   * Stops the sweeper and refuses new operations, then waits for every
   * operation already started (a sweep under way included), even one whose
   * caller timed out: once `close()` resolves, the store writes nothing more
   * to the directory.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    await this.#sweeps.close();
    while (this.#inflight.size > 0) await Promise.all(this.#inflight);
  }

  // ---- user index ---------------------------------------------------------

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

  /**
   * One sweep, shard by shard. Once the store is closing it stops at the
   * next batch, with what it did so far: an interrupted sweep is not a
   * failed one.
   */
  async #sweep(): Promise<FileSweepReport> {
    const started = Date.now();
    const report = { deleted: 0, staleTemps: 0 };
    try {
      const shards = (await readdirIfExists(this.#layout.recordsDir)).filter(isShardName);
      // A few shards at once, so one shard's marking and listing overlap
      // another's removals; BATCH calls in flight in all.
      const sweeper = async () => {
        for (let shard = shards.pop(); shard !== undefined && !this.#closed; shard = shards.pop()) {
          await this.#sweepShard(this.#layout.shardDir(shard), report);
        }
      };
      await Promise.all(Array.from({ length: SHARDS_AT_ONCE }, sweeper));
    } catch (error) {
      throw unavailable(error, 'clearExpired');
    }
    if (!this.#closed) await this.#pruneUserIndex('clearExpired');
    return { ...report, durationMs: Date.now() - started };
  }

  /**
   * Sweeps one shard. Under the shard's sweep mark (writers wait), an expired
   * record the store wrote (its times say so) is removed with one `unlink`,
   * without its lock or a read, unless a writer holds its lock. Anything
   * else expired is removed afterwards under its lock, after a read: a file
   * rewritten by another program is moved aside, and a removed record's user
   * index entry goes with the prune that ends the sweep. The mark is held
   * for a bounded time, then taken again, so writers never wait long.
   */
  async #sweepShard(
    shardDir: string,
    report: { deleted: number; staleTemps: number },
  ): Promise<void> {
    const now = this.#now();
    const suspects: RecordPaths[] = [];
    let others: string[] = [];
    for (let more = true; more && !this.#closed; ) {
      more = false;
      if (!(await this.#locks.markSweep(shardDir))) return; // another sweep is on it
      const since = performance.now();
      try {
        const names = await readdirIfExists(shardDir);
        const locked = new Set(
          names.filter((n) => n.endsWith(TEMP_SUFFIX)).map((n) => n.slice(0, -TEMP_SUFFIX.length)),
        );
        const records = names.filter((n) => !n.includes('.') && !locked.has(n));
        for (let i = 0; i < records.length; i += SWEEP_BATCH) {
          if (this.#closed) return;
          if (performance.now() - since > this.#sweepHoldMs) {
            more = true;
            break;
          }
          await this.#step('clearExpired', () =>
            Promise.all(
              records.slice(i, i + SWEEP_BATCH).map(async (name) => {
                const id = idOfFileName(name);
                if (id === undefined) return;
                const paths = this.#layout.record(id);
                if (paths.shardDir !== shardDir) return;
                const stats = await lstatIfExists(paths.file);
                if (!stats || expiryOf(stats) > now) return;
                if (!isStoreWritten(stats, this.#readRules)) suspects.push(paths);
                else if (await unlinkIfExists(paths.file)) report.deleted++;
              }),
            ),
          );
        }
        if (!more) others = names.filter((n) => n.includes('.'));
      } finally {
        await this.#locks.unmarkSweep(shardDir);
      }
    }
    for (let i = 0; i < suspects.length && !this.#closed; i += BATCH) {
      const removed = await Promise.all(
        suspects
          .slice(i, i + BATCH)
          .map((paths) =>
            this.#step('clearExpired', (deadline) =>
              this.#queue.run(paths.file, () => this.#writer.removeIfExpired(paths, deadline)),
            ),
          ),
      );
      report.deleted += removed.filter(Boolean).length;
    }
    for (let i = 0; i < others.length && !this.#closed; i += BATCH) {
      await Promise.all(
        others.slice(i, i + BATCH).map(async (name) => {
          if (this.#closed) return;
          if (name.endsWith(TEMP_SUFFIX)) {
            const owner = idOfFileName(name.slice(0, -TEMP_SUFFIX.length));
            if (owner === undefined) return;
            const paths = this.#layout.record(owner);
            if (paths.shardDir !== shardDir) return;
            if ((await this.#locks.breakIfStale(paths)) === 'broken') report.staleTemps++;
          } else if (name.endsWith(BREAK_SUFFIX)) {
            await this.#locks.removeStaleBreaker(`${shardDir}/${name}`);
          }
        }),
      );
    }
  }

  /** Streams the record names of every shard, in batches. */
  async #walk(
    what: string,
    visit: (names: string[], shardDir: string) => Promise<void>,
  ): Promise<void> {
    try {
      for (const shard of await readdirIfExists(this.#layout.recordsDir)) {
        if (!isShardName(shard)) continue;
        const shardDir = this.#layout.shardDir(shard);
        for await (const names of inBatches(streamNames(shardDir), BATCH)) {
          await visit(
            names.filter((n) => !n.includes('.')),
            shardDir,
          );
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
