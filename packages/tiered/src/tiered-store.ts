import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  type DestroyByUserOptions,
  type ListOptions,
  type ListPage,
  type SessionRecord,
  type SessionStore,
  type StoreCapabilities,
  type StoredSession,
  StoreUnavailableError,
  UnsupportedOperationError,
  type UpdateOptions,
  type WriteResult,
} from '@sess/core';
import {
  assertExpiry,
  assertSessionId,
  assertWrite,
  checkDestroyByUser,
  checkUpdateOptions,
  withTimeout,
} from '@sess/core/store-kit';
import { CacheHealth } from './cache-health.js';
import { CacheTier, type Seen } from './cache-tier.js';
import { type ResolvedOptions, resolveOptions, type TieredStoreOptions } from './options.js';
import { type Counters, newCounters, type TieredStats, type TieredStoreEvents } from './stats.js';

const probePrefix = randomBytes(16).toString('base64url');
let probeSequence = 0;

/** Sessions remembered for invalidation while the cache is down, at most. */
const PENDING_LIMIT = 100_000;

/**
 * A cache (Redis, Memcached...) in front of a durable store (SQL...). The
 * durable store is the truth: it decides every write, and a write is
 * acknowledged only once it has it. Reads come from the cache when it holds
 * the session, else from the durable store, and the record is then cached
 * until its expiry (at most `maxCacheAgeMs`).
 *
 * A logout is never undone by the cache: a write marks the session in the
 * cache before its durable call, and a read that missed fills the cache only
 * by compare-and-set against a lease it took before reading, which any
 * write in between voids. A failing or slow cache is bypassed (see the
 * `degraded` and `recovered` events and `stats`); a failing durable store
 * fails writes, and reads unless `durableDownReads` is `'cache'`.
 *
 * @example
 * import { TieredStore } from '@sess/tiered';
 *
 * const store = new TieredStore({
 *   cache: new RedisStore({ client: redis, prefix: 'app:sess:' }),
 *   durable: new SqlStore({ knex: db }),
 * });
 * store.on('degraded', ({ tier, error }) => log.warn(`${tier} down: ${error.message}`));
 */
export class TieredStore extends EventEmitter<TieredStoreEvents> implements SessionStore {
  readonly capabilities: StoreCapabilities;

  readonly #options: ResolvedOptions;
  readonly #cache: CacheTier;
  readonly #health: CacheHealth;
  readonly #counters: Counters = newCounters();
  /** Work that outlives the operation that started it: recoveries, probes. */
  readonly #background = new Set<Promise<unknown>>();
  /** A valid id no session uses, read to see whether a store answers. */
  readonly #probeId = `probe_${probePrefix}${(probeSequence++).toString(36)}`;
  #durableDownSince: number | undefined;
  #durableCheckedAt: number;
  #probing = false;
  #closed = false;

  constructor(options: TieredStoreOptions) {
    super();
    this.#options = resolveOptions(options);
    this.capabilities = this.#options.capabilities;
    this.#durableCheckedAt = this.#options.now();
    const { now, cacheTimeoutMs, fenceTtlMs, leaseTtlMs, maxCacheAgeMs, cacheRetryMs } =
      this.#options;
    const counters = this.#counters;
    this.#health = new CacheHealth({
      retryMs: cacheRetryMs,
      distrustMs: maxCacheAgeMs,
      pendingLimit: PENDING_LIMIT,
      counters,
      onDown: (error) => this.#notify('degraded', { tier: 'cache', error, stats: this.stats }),
      onUp: (downMs) => this.#notify('recovered', { tier: 'cache', downMs, stats: this.stats }),
      invalidate: (id, token) => this.#cache.invalidate(id, token),
      probe: () => this.#cache.probe(this.#probeId),
    });
    this.#cache = new CacheTier(this.#options.cache, this.#health, {
      now,
      timeoutMs: cacheTimeoutMs,
      fenceTtlMs,
      leaseTtlMs,
      maxAgeMs: maxCacheAgeMs,
      counters,
    });
  }

  /** Running totals (hits, misses, failures of each tier...), for metrics. */
  get stats(): TieredStats {
    return { ...this.#counters };
  }

  // Not an async function: a cached read is the hot path, one promise less.
  get(id: string): Promise<StoredSession | null> {
    try {
      assertSessionId(id);
      this.#begin();
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#durableDownSince !== undefined && this.#options.durableDownReads === 'reject') {
      return this.#miss(id, undefined);
    }
    return this.#cache.read(id).then((seen) => {
      if (seen?.entry.kind === 'value') {
        const now = this.#options.now();
        if (seen.entry.record.expiresAt > now) {
          if (this.#durableDownSince === undefined) this.#counters.hits++;
          else this.#counters.servedWhileDurableDown++;
          this.#maybeProbe(now);
          return seen.entry.record;
        }
      }
      return this.#miss(id, seen);
    });
  }

  /**
   * Not cached, being written, or the cache unusable: the durable store
   * answers. A lease taken first lets the answer be cached safely.
   */
  async #miss(id: string, seen: Seen | undefined): Promise<StoredSession | null> {
    const lease =
      seen === undefined ? undefined : await this.#cache.lease(id, seen, this.#cache.phase());
    this.#counters.misses++;
    const record = await this.#durable(() => this.#options.durable.get(id));
    if (lease !== undefined && record !== null) {
      await this.#cache.fill(id, lease, record, this.#cache.phase());
    }
    return record;
  }

  /**
   * Creates the record in the durable store only: a new session is cached
   * when it is first read, so sessions that are never read back (clients
   * that drop the cookie) take no cache memory.
   */
  async create(id: string, record: SessionRecord): Promise<WriteResult> {
    assertWrite(id, record, this.#limits());
    this.#begin();
    return this.#durable(() => this.#options.durable.create(id, record));
  }

  async update(id: string, record: SessionRecord, options?: UpdateOptions): Promise<WriteResult> {
    assertWrite(id, record, this.#limits());
    checkUpdateOptions(options);
    this.#begin();
    return this.#write(
      id,
      () => this.#options.durable.update(id, record, options),
      (result, before) => {
        if (result.ok) return { ...record, version: result.version };
        // Refused by compare-and-set: the record is unchanged, as cached before.
        return result.reason === 'conflict' ? before : undefined;
      },
    );
  }

  async touch(id: string, expiresAt: number): Promise<boolean> {
    assertSessionId(id);
    assertExpiry(expiresAt, this.#options.now());
    this.#begin();
    return this.#write(
      id,
      () => this.#options.durable.touch(id, expiresAt),
      (touched, before) => (touched && before ? { ...before, expiresAt } : undefined),
    );
  }

  async destroy(id: string): Promise<void> {
    assertSessionId(id);
    this.#begin();
    return this.#write(
      id,
      () => this.#options.durable.destroy(id),
      () => undefined,
    );
  }

  async list(options?: ListOptions): Promise<ListPage> {
    const list = this.#optional('list', this.capabilities.list);
    return this.#durable(() => list.call(this.#options.durable, options));
  }

  async count(): Promise<number> {
    const count = this.#optional('count', this.capabilities.count);
    return this.#durable(() => count.call(this.#options.durable));
  }

  async clearExpired(): Promise<number> {
    const clearExpired = this.#optional('clearExpired', this.capabilities.expiry === 'sweep');
    return this.#durable(() => clearExpired.call(this.#options.durable));
  }

  /**
   * Logs a user out everywhere: marks the user in the cache, lists the
   * user's sessions in the durable store, fences each in the cache, has the
   * durable store destroy them, then releases the fences. The count is the
   * durable store's.
   */
  async destroyByUser(userId: string, options?: DestroyByUserOptions): Promise<number> {
    const except = checkDestroyByUser(userId, options);
    const destroyByUser = this.#optional('destroyByUser', this.capabilities.users);
    const { durable } = this.#options;
    const work = (async () => {
      const before = this.#cache.phase();
      const marked = await this.#cache.markUser(userId, before);
      const ids = (await this.#listUser(userId)).filter((id) => id !== except);
      const fences = marked
        ? await Promise.all(ids.map((id) => this.#cache.fence(id, before)))
        : [];
      const unfenced = ids.filter((_, i) => fences[i] === undefined);
      for (const _ of unfenced) this.#health.beginDegradedWrite();
      let destroyed: number;
      try {
        destroyed = await this.#durable(() => destroyByUser.call(durable, userId, options));
      } finally {
        for (const id of unfenced) this.#health.endDegradedWrite(id);
      }
      const after = this.#cache.phase();
      await Promise.all(
        fences.map((fence) => fence && this.#cache.release(fence, undefined, after)),
      );
      return destroyed;
    })();
    // Many sessions mean many pages and fences: bound the whole, and let
    // close() wait for what goes on past the bound.
    this.#track(work);
    return withTimeout(
      work,
      this.capabilities.operationTimeoutMs ?? 0,
      'TieredStore destroyByUser',
    );
  }

  /**
   * Empties both stores: the cache, then the durable store, then the cache
   * again (for what readers filled in between). Needs both to answer.
   */
  async clear(): Promise<void> {
    const clear = this.#optional('clear', this.capabilities.clear);
    await this.#cache.clear();
    await this.#durable(() => clear.call(this.#options.durable));
    try {
      await this.#cache.clear();
    } catch (error) {
      // The cache may hold records the durable store no longer has.
      this.#health.distrust();
      throw error;
    }
    this.#health.forgetPending();
  }

  /**
   * Stops using both stores and waits for work in the background (a cache
   * recovery, a probe) to finish. The stores themselves stay open: close
   * them (and their clients) yourself.
   */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
    this.#cache.close();
  }

  /**
   * A write: fence the session in the cache, write to the durable store,
   * release the fence. `after` gives the durable record once the write is
   * done, when it is known (it may then stay cached).
   */
  async #write<R>(
    id: string,
    write: () => Promise<R>,
    after: (result: R, before: StoredSession | undefined) => StoredSession | undefined,
  ): Promise<R> {
    const fence = await this.#cache.fence(id, this.#cache.phase());
    if (!fence) this.#health.beginDegradedWrite();
    let result: R;
    try {
      result = await this.#durable(write);
    } finally {
      // A failed durable call may still land later: a fence stays until it
      // expires; an unfenced write has its session invalidated either way.
      if (!fence) this.#health.endDegradedWrite(id);
    }
    if (fence) await this.#cache.release(fence, after(result, fence.base), this.#cache.phase());
    return result;
  }

  /** One durable call: its outcome tells whether the durable store is up. */
  async #durable<T>(call: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await call();
    } catch (error) {
      if (error instanceof StoreUnavailableError) this.#durableFailed(error);
      throw error;
    }
    this.#durableCheckedAt = this.#options.now();
    if (this.#durableDownSince !== undefined) {
      const downMs = performance.now() - this.#durableDownSince;
      this.#durableDownSince = undefined;
      this.#notify('recovered', { tier: 'durable', downMs, stats: this.stats });
    }
    return result;
  }

  #durableFailed(error: StoreUnavailableError): void {
    this.#counters.durableFailures++;
    if (this.#durableDownSince !== undefined) return;
    this.#durableDownSince = performance.now();
    this.#notify('degraded', { tier: 'durable', error, stats: this.stats });
  }

  /**
   * Reads answered by the cache alone would not notice a durable outage:
   * look now and then. `now` is the store's clock, read for the hit anyway.
   */
  #maybeProbe(now: number): void {
    if (this.#probing || now - this.#durableCheckedAt < this.#options.durableProbeMs) return;
    this.#probing = true;
    this.#track(
      this.#durable(() => this.#options.durable.get(this.#probeId))
        .catch(() => undefined)
        .finally(() => {
          this.#probing = false;
          this.#durableCheckedAt = this.#options.now();
        }),
    );
  }

  async #listUser(userId: string): Promise<string[]> {
    const { durable } = this.#options;
    const list = durable.list;
    if (!list) throw new UnsupportedOperationError('list', 'the durable store');
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page: ListPage = await this.#durable(() =>
        list.call(durable, cursor === undefined ? { userId } : { userId, cursor }),
      );
      ids.push(...page.ids);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return ids;
  }

  /** Rejects when closed; lets a cache that was down be tried again. */
  #begin(): void {
    if (this.#closed) throw new StoreUnavailableError('TieredStore is closed.');
    const recovery = this.#health.poll();
    if (recovery) this.#track(recovery);
  }

  #optional<K extends 'list' | 'count' | 'clearExpired' | 'destroyByUser' | 'clear'>(
    name: K,
    declared: boolean,
  ): NonNullable<SessionStore[K]> {
    const method = this.#options.durable[name];
    if (!declared || !method) throw new UnsupportedOperationError(name, 'TieredStore');
    this.#begin();
    return method as NonNullable<SessionStore[K]>;
  }

  #limits() {
    return { now: this.#options.now(), maxPayloadBytes: this.capabilities.maxPayloadBytes };
  }

  #track(work: Promise<unknown>): void {
    this.#background.add(work);
    const done = () => this.#background.delete(work);
    work.then(done, done);
  }

  /** A listener that throws must not break the operation that emitted. */
  #notify<E extends keyof TieredStoreEvents>(event: E, ...args: TieredStoreEvents[E]): void {
    try {
      this.emit(event, ...(args as never));
    } catch {
      // ignored on purpose
    }
  }
}
