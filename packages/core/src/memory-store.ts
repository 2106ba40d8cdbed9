import type {
  Clock,
  DestroyByUserOptions,
  ListOptions,
  ListPage,
  SessionRecord,
  SessionStore,
  StoreCapabilities,
  StoredSession,
  UpdateOptions,
  WriteResult,
} from './contract.js';
import { InvalidOptionError, StoreUnavailableError } from './errors.js';
import {
  type OptionKeys,
  rejectUnknownOptions,
  resolveCommonOptions,
} from './store-kit/options.js';
import { refused } from './store-kit/refusals.js';
import { SweepScheduler } from './store-kit/sweep-scheduler.js';
import {
  assertExpiry,
  assertSessionId,
  assertWrite,
  checkDestroyByUser,
  checkListOptions,
  checkUpdateOptions,
} from './store-kit/validation.js';
import type { Sweeper, SweeperOptions, SweepReport } from './sweeper.js';

export interface MemoryStoreOptions {
  /** Current time in epoch ms; inject one to test expiry without sleeping. Default `Date.now`. */
  readonly now?: Clock;
  /** Keep at most this many records, evicting the least recently used. Default: unbounded. */
  readonly maxEntries?: number;
  /** Largest accepted payload in UTF-8 bytes. Default 1 MiB. */
  readonly maxPayloadBytes?: number;
}

interface Entry {
  data: string;
  expiresAt: number;
  userId: string | undefined;
  version: string;
}

const MEMORY_STORE_OPTIONS: OptionKeys<MemoryStoreOptions> = {
  now: true,
  maxEntries: true,
  maxPayloadBytes: true,
};

const DEFAULT_PAGE = 100;
const MAX_PAGE = 10_000;

/**
 * The reference store: the contract, in memory, for one process.
 *
 * Use it for tests and single-process development. Every optional capability
 * is implemented, so it is also the model other stores are checked against.
 * Expiry is checked on every read; `clearExpired()` frees what has expired.
 *
 * @example
 * const store = new MemoryStore({ maxEntries: 10_000 });
 * await store.create('abc', { data: '{}', expiresAt: Date.now() + 60_000 });
 */
export class MemoryStore implements SessionStore {
  readonly capabilities: StoreCapabilities;

  readonly #now: Clock;
  readonly #maxEntries: number;
  // Map order is recency order: the first entry is the least recently used.
  readonly #entries = new Map<string, Entry>();
  readonly #byUser = new Map<string, Set<string>>();
  readonly #sweeps = new SweepScheduler(() => this.#sweepOnce(), 'MemoryStore');
  #lastVersion = 0;
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    rejectUnknownOptions(options, MEMORY_STORE_OPTIONS, 'MemoryStore');
    const { maxPayloadBytes, now } = resolveCommonOptions(options);
    const { maxEntries = Number.POSITIVE_INFINITY } = options;
    if (!(maxEntries >= 1)) throw new InvalidOptionError('maxEntries must be at least 1.');
    this.#now = now;
    this.#maxEntries = maxEntries;
    this.capabilities = {
      // Stryker disable next-line StringLiteral: declaring less is allowed; the suite then skips what needs it
      expiry: 'sweep',
      // Stryker disable next-line BooleanLiteral: declaring less is allowed; the suite then skips what needs it
      list: true,
      // Stryker disable next-line BooleanLiteral: declaring less is allowed; the suite then skips what needs it
      count: true,
      // Stryker disable next-line BooleanLiteral: declaring less is allowed; the suite then skips what needs it
      users: true,
      // Stryker disable next-line BooleanLiteral: declaring less is allowed; the suite then skips what needs it
      clear: true,
      ttlResolutionMs: 0,
      maxPayloadBytes,
    };
  }

  async get(id: string): Promise<StoredSession | null> {
    this.#assertOpen();
    assertSessionId(id);
    const entry = this.#live(id);
    if (!entry) return null;
    this.#markUsed(id, entry);
    return toStored(entry);
  }

  async create(id: string, record: SessionRecord): Promise<WriteResult> {
    this.#assertOpen();
    assertWrite(id, record, this.#limits());
    if (this.#live(id)) return refused.exists;
    return { ok: true, version: this.#write(id, record) };
  }

  async update(id: string, record: SessionRecord, options?: UpdateOptions): Promise<WriteResult> {
    this.#assertOpen();
    assertWrite(id, record, this.#limits());
    const ifVersion = checkUpdateOptions(options);
    const entry = this.#live(id);
    if (!entry) return refused.missing;
    if (ifVersion !== undefined && entry.version !== ifVersion) return refused.conflict;
    return { ok: true, version: this.#write(id, record) };
  }

  async touch(id: string, expiresAt: number): Promise<boolean> {
    this.#assertOpen();
    assertSessionId(id);
    assertExpiry(expiresAt, this.#now());
    const entry = this.#live(id);
    if (!entry) return false;
    entry.expiresAt = expiresAt;
    this.#markUsed(id, entry);
    return true;
  }

  async destroy(id: string): Promise<void> {
    this.#assertOpen();
    assertSessionId(id);
    this.#remove(id);
  }

  async list(options?: ListOptions): Promise<ListPage> {
    this.#assertOpen();
    const limit = checkListOptions(options, { limit: DEFAULT_PAGE, maxLimit: MAX_PAGE });
    const cursor = options?.cursor;
    const candidates =
      options?.userId === undefined
        ? this.#entries.keys()
        : (this.#byUser.get(options.userId) ?? new Set<string>()).values();
    // Ids in sorted order, so a cursor (the last id returned) stays valid
    // while records come and go between pages.
    const ids = [...candidates]
      .filter((id) => (cursor === undefined || id > cursor) && this.#live(id))
      .sort();
    const page = ids.slice(0, limit);
    const last = page.at(-1);
    // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: the contract allows a cursor before an empty last page (more pages *may* follow)
    return ids.length > limit && last !== undefined ? { ids: page, cursor: last } : { ids: page };
  }

  async count(): Promise<number> {
    this.#assertOpen();
    const now = this.#now();
    let live = 0;
    for (const entry of this.#entries.values()) if (entry.expiresAt > now) live++;
    return live;
  }

  async destroyByUser(userId: string, options?: DestroyByUserOptions): Promise<number> {
    this.#assertOpen();
    const except = checkDestroyByUser(userId, options);
    let destroyed = 0;
    // Stryker disable next-line ArrayDeclaration: an id that is not stored is skipped
    for (const id of [...(this.#byUser.get(userId) ?? [])]) {
      if (id === except) continue;
      if (this.#live(id)) destroyed++;
      this.#remove(id);
    }
    return destroyed;
  }

  async clearExpired(): Promise<number> {
    this.#assertOpen();
    const now = this.#now();
    let removed = 0;
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAt <= now) {
        this.#remove(id);
        removed++;
      }
    }
    return removed;
  }

  async clear(): Promise<void> {
    this.#assertOpen();
    this.#entries.clear();
    this.#byUser.clear();
  }

  /**
   * Runs `clearExpired()` every `intervalMs` (plus jitter) on a timer that
   * never keeps the process alive, so expired records do not pile up in a
   * long-running process. One sweeper at a time; `close()` stops it.
   *
   * @example
   * const sweeper = store.startSweeper({ intervalMs: 60_000 });
   */
  startSweeper(options: SweeperOptions): Sweeper {
    return this.#sweeps.start(options);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#sweeps.close();
  }

  async #sweepOnce(): Promise<SweepReport> {
    const started = performance.now();
    const deleted = await this.clearExpired();
    return { deleted, durationMs: performance.now() - started };
  }

  #limits() {
    return { now: this.#now(), maxPayloadBytes: this.capabilities.maxPayloadBytes };
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreUnavailableError('This MemoryStore is closed.');
  }

  #live(id: string): Entry | undefined {
    const entry = this.#entries.get(id);
    return entry && entry.expiresAt > this.#now() ? entry : undefined;
  }

  #markUsed(id: string, entry: Entry): void {
    this.#entries.delete(id);
    this.#entries.set(id, entry);
  }

  #write(id: string, record: SessionRecord): string {
    this.#remove(id);
    // Stryker disable next-line UpdateOperator: versions are opaque; counting down keeps them unique
    const version = String(++this.#lastVersion);
    this.#entries.set(id, {
      data: record.data,
      expiresAt: record.expiresAt,
      userId: record.userId,
      version,
    });
    // Stryker disable next-line ConditionalExpression: an index under `undefined` is never read
    if (record.userId !== undefined) {
      const ids = this.#byUser.get(record.userId) ?? new Set<string>();
      this.#byUser.set(record.userId, ids.add(id));
    }
    this.#evictOverflow();
    return version;
  }

  #evictOverflow(): void {
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) return;
      this.#remove(oldest.value);
    }
  }

  #remove(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    // Stryker disable next-line ConditionalExpression: no index holds records without a user
    if (entry.userId === undefined) return;
    const ids = this.#byUser.get(entry.userId);
    // Stryker disable next-line OptionalChaining: a record with a user is always in its index
    ids?.delete(id);
    // Stryker disable next-line ConditionalExpression,OptionalChaining: frees an empty index entry; only memory is at stake
    if (ids?.size === 0) this.#byUser.delete(entry.userId);
  }
}

function toStored(entry: Entry): StoredSession {
  const { data, expiresAt, userId, version } = entry;
  // Stryker disable next-line ConditionalExpression: a `userId` key holding undefined reads as no user
  return userId === undefined ? { data, expiresAt, version } : { data, expiresAt, userId, version };
}
