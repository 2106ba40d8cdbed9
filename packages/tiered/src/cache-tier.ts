import { createHash, randomBytes } from 'node:crypto';
import {
  type Clock,
  CorruptRecordError,
  type SessionRecord,
  type SessionStore,
  type StoredSession,
  StoreUnavailableError,
  type WriteResult,
} from '@sess/core';
import { asUnavailable } from '@sess/core/store-kit';
import type { CacheHealth } from './cache-health.js';
import { Deadlines } from './deadlines.js';
import { type CacheEntry, decodeEntry, encodeMark, encodeValue } from './entries.js';
import type { Counters } from './stats.js';

/** What a read found in the cache: an entry and the cache record's version, or nothing. */
export type Seen = {
  readonly entry: CacheEntry;
  readonly version: string;
  readonly expiresAt: number;
} | null;

/** A write's mark in the cache, held from before its durable call until after it. */
export interface Fence {
  readonly id: string;
  /** This write's token in the mark. */
  readonly token: string;
  /** The cache version of the mark as this write left it. */
  readonly version: string;
  readonly writers: readonly string[];
  readonly expiresAt: number;
  /** The live value the mark replaced: the session was cached, so the new record may be too. */
  readonly base: StoredSession | undefined;
}

/** A time (on `Deadlines.now()`) by which one phase of an operation must be done with the cache. */
export type Deadline = number;

export interface CacheTierOptions {
  readonly now: Clock;
  /** Budget of one phase of an operation (a read, or before or after its durable call). */
  readonly timeoutMs: number;
  /** Life of a writer's mark: longer than any durable write can take to land. */
  readonly fenceTtlMs: number;
  /** Life of a reader's lease: longer than one read of the durable store. */
  readonly leaseTtlMs: number;
  /** No value stays cached longer than this. */
  readonly maxAgeMs: number;
  readonly counters: Counters;
}

/** A record with less life left than this is served, not cached. */
const MIN_CACHED_LIFE_MS = 250;
/**
 * Compare-and-set loops go round again only when another operation changed
 * the entry in between: each turn means someone else made progress, and the
 * phase's deadline bounds them (50 writers joining one mark take up to 50
 * turns). This only stops a cache store that would refuse every write.
 */
const MAX_ATTEMPTS = 1_000;
const USER_MARK = 'u1:';
const FOREIGN_SEEN: Seen = Object.freeze({
  entry: Object.freeze({ kind: 'foreign' }),
  version: '',
  expiresAt: 0,
});

function same<T>(outcome: T): T {
  return outcome;
}

function toSeen(stored: StoredSession | null): Seen {
  return stored === null
    ? null
    : { entry: decodeEntry(stored.data), version: stored.version, expiresAt: stored.expiresAt };
}

/** Thrown (internally) when a phase must do without the cache. */
class Skip extends Error {}
const SKIP = new Skip('cache skipped');

let tokenSequence = 0;
const tokenPrefix = randomBytes(6).toString('base64url');

/**
 * The cache side of the protocol (see the README's "How it stays correct"):
 *
 * - a reader that misses takes a lease (an empty mark) before it reads the
 *   durable store, and fills the cache by compare-and-set against its lease;
 * - a writer replaces the entry with a mark naming itself before its durable
 *   call, so every lease taken before is void and no new one can be taken;
 * - after its durable call the writer takes itself off the mark; if it was
 *   the only writer since the mark was set and the session was cached, it
 *   leaves the new record, else an empty mark the next reader can take over.
 *
 * So a value in the cache is always the durable store's current record: it
 * was written by a compare-and-set that no write could have slipped past.
 */
export class CacheTier {
  readonly #cache: SessionStore;
  readonly #health: CacheHealth;
  readonly #options: CacheTierOptions;
  readonly #deadlines: Deadlines;

  constructor(cache: SessionStore, health: CacheHealth, options: CacheTierOptions) {
    this.#cache = cache;
    this.#health = health;
    this.#options = options;
    this.#deadlines = new Deadlines(tickFor(options.timeoutMs));
  }

  /** Gives up the calls still waiting and stops the timer. */
  close(): void {
    this.#deadlines.stop();
  }

  /** The deadline of a phase starting now. */
  phase(): Deadline {
    return this.#deadlines.now() + this.#options.timeoutMs;
  }

  /** The cache entry of `id` (a phase of its own); undefined when the cache cannot be read now. */
  read(id: string): Promise<Seen | undefined> {
    if (!this.#health.readable) {
      this.#options.counters.cacheBypassed++;
      return Promise.resolve(undefined);
    }
    // The usual case needs no clock at all: the cache store's own bound fits the budget.
    const own = this.#cache.capabilities.operationTimeoutMs;
    if (own !== undefined && own > this.#options.timeoutMs) {
      return this.#call(
        this.phase(),
        () => this.#cache.get(id),
        'get',
        false,
        toSeen,
        this.#readFailure,
      );
    }
    try {
      return this.#cache.get(id).then(toSeen, this.#readFailure);
    } catch (error) {
      return Promise.resolve(this.#readFailure(error));
    }
  }

  /**
   * Takes a lease on a session the cache does not hold: an empty mark,
   * created or put in place of what a read found. Returns its version.
   */
  async lease(id: string, seen: Seen, deadline: Deadline): Promise<string | undefined> {
    const { entry } = seen ?? {};
    const takeable =
      seen === null ||
      (entry?.kind === 'mark' && entry.writers.length === 0) ||
      (entry?.kind === 'value' && entry.record.expiresAt <= this.#options.now()) ||
      (entry?.kind === 'foreign' && seen.version !== '');
    if (!takeable) return undefined;
    const lease = this.#mark([], this.#options.now() + this.#options.leaseTtlMs);
    try {
      const written =
        seen === null
          ? await this.#call(deadline, () => this.#cache.create(id, lease), 'create')
          : await this.#call(
              deadline,
              () => this.#cache.update(id, lease, { ifVersion: seen.version }),
              'update',
            );
      return written.ok ? written.version : undefined;
    } catch {
      return undefined;
    }
  }

  /** Puts a record read from the durable store in place of our lease, if the lease still holds. */
  async fill(id: string, lease: string, record: StoredSession, deadline: Deadline): Promise<void> {
    try {
      const value = this.#value(record);
      if (!value) return;
      if (record.userId !== undefined && (await this.#userMarked(record.userId, deadline))) return;
      const written = await this.#call(
        deadline,
        () => this.#cache.update(id, value, { ifVersion: lease }),
        'update',
      );
      if (written.ok) this.#options.counters.fills++;
    } catch {
      // The lease stays until it expires; the next reader takes it over.
    }
  }

  /**
   * Marks `id` before a durable write. Undefined when the cache cannot be
   * used: the caller then writes without a fence and has the session
   * invalidated later.
   */
  async fence(id: string, deadline: Deadline): Promise<Fence | undefined> {
    if (!this.#health.usable) {
      this.#options.counters.cacheBypassed++;
      return undefined;
    }
    const token = `${tokenPrefix}${(tokenSequence++).toString(36)}`;
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        await this.#backOff(attempt, deadline);
        const seen = await this.#read(id, deadline);
        const expiresAt = this.#options.now() + this.#options.fenceTtlMs;
        if (seen === null) {
          const created = await this.#call(
            deadline,
            () => this.#cache.create(id, this.#mark([token], expiresAt)),
            'create',
          );
          if (created.ok) {
            return {
              id,
              token,
              version: created.version,
              writers: [token],
              expiresAt,
              base: undefined,
            };
          }
          continue;
        }
        const { entry } = seen;
        if (seen.version === '') {
          // A record the cache store cannot read: nothing anyone relies on,
          // and nothing to compare-and-set against. Clear the way.
          await this.#call(deadline, () => this.#cache.destroy(id), 'destroy');
          continue;
        }
        const writers = entry.kind === 'mark' ? [...entry.writers, token] : [token];
        const until = entry.kind === 'mark' ? Math.max(seen.expiresAt, expiresAt) : expiresAt;
        const base =
          entry.kind === 'value' && entry.record.expiresAt > this.#options.now()
            ? entry.record
            : undefined;
        const updated = await this.#cas(id, this.#mark(writers, until), seen.version, deadline);
        if (updated.ok)
          return { id, token, version: updated.version, writers, expiresAt: until, base };
      }
      throw new Error('the entry kept changing');
    } catch (error) {
      // Whatever kept the fence out, the write goes ahead unfenced and the
      // session is invalidated once the cache is back: mark it down.
      this.#fault(error, 'fence');
      return undefined;
    }
  }

  /**
   * Takes this write off its mark after the durable call. `after` is the
   * durable record now, when the write knows it: it is left in the cache if
   * the session was cached before and no other write came near it.
   */
  async release(fence: Fence, after: StoredSession | undefined, deadline: Deadline): Promise<void> {
    const { id, token } = fence;
    try {
      // Only a write that replaced a value (then it was the only writer) may leave one.
      let through = fence.base !== undefined ? after : undefined;
      // A "log out everywhere" of this user may be under way and not see this write.
      if (through?.userId !== undefined && (await this.#userMarked(through.userId, deadline))) {
        through = undefined;
      }
      let expected = fence.version;
      let writers = fence.writers;
      let markUntil = fence.expiresAt;
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        await this.#backOff(attempt, deadline);
        const value = through && expected === fence.version ? this.#value(through) : undefined;
        const rest = writers.filter((writer) => writer !== token);
        const next =
          value ??
          this.#mark(
            rest,
            rest.length > 0 ? markUntil : this.#options.now() + this.#options.leaseTtlMs,
          );
        let written: WriteResult;
        try {
          written = await this.#cas(id, next, expected, deadline);
        } catch (error) {
          // The cache refused the value itself (too large for it): leave a mark instead.
          if (!value || error === SKIP || error instanceof StoreUnavailableError) throw error;
          through = undefined;
          continue;
        }
        if (written.ok) {
          if (value) this.#options.counters.writeThroughs++;
          return;
        }
        // Another operation changed the entry since: see what it left.
        const seen = await this.#read(id, deadline);
        if (seen === null || seen.entry.kind === 'foreign') return;
        expected = seen.version;
        markUntil = seen.expiresAt;
        // A value here was filled or written after our mark was lost (it
        // expired or was evicted), maybe from before our write: replace it
        // with an empty mark. Another mark: take our token off, or just
        // change its version, so no writer in it leaves its record behind.
        writers = seen.entry.kind === 'mark' ? seen.entry.writers : [];
      }
      throw new Error('the entry kept changing');
    } catch (error) {
      // Our mark stays until it expires, holding fills back: safe. Take it
      // off once the cache works again, so the session is cached sooner.
      this.#fault(error, 'release');
      this.#health.remember(id, token);
    }
  }

  /**
   * Before a "log out everywhere": writers and fillers of this user's
   * sessions leave no value behind while this mark lives, so a session of the
   * user that the listing misses cannot be cached stale. False when the
   * cache could not be marked.
   */
  async markUser(userId: string, deadline: Deadline): Promise<boolean> {
    if (!this.#health.usable) return false;
    const key = userMarkKey(userId);
    const record = { data: USER_MARK, expiresAt: this.#options.now() + this.#options.fenceTtlMs };
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const updated = await this.#call(deadline, () => this.#cache.update(key, record), 'update');
        if (updated.ok) return true;
        const created = await this.#call(deadline, () => this.#cache.create(key, record), 'create');
        if (created.ok) return true;
      }
      throw new Error('the entry kept changing');
    } catch (error) {
      this.#fault(error, 'user mark');
      return false;
    }
  }

  /**
   * Invalidates one session's entry while the cache recovers: a value gives
   * way to an empty mark; a mark loses `token` and changes version.
   */
  async invalidate(id: string, token: string | undefined): Promise<void> {
    const deadline = this.phase();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const seen = await this.#read(id, deadline, true);
      if (seen === null || seen.entry.kind === 'foreign') return;
      const writers =
        seen.entry.kind === 'mark' ? seen.entry.writers.filter((w) => w !== token) : [];
      const until =
        writers.length > 0 ? seen.expiresAt : this.#options.now() + this.#options.leaseTtlMs;
      const written = await this.#cas(id, this.#mark(writers, until), seen.version, deadline, true);
      if (written.ok) return;
    }
    throw new StoreUnavailableError('The cache entry kept changing under the invalidation.');
  }

  /** A read that must succeed for the cache to count as working. */
  async probe(id: string): Promise<void> {
    await this.#read(id, this.phase(), true);
  }

  /** Empties the cache's namespace (the cache must declare `clear`). */
  async clear(): Promise<void> {
    const clear = this.#cache.clear;
    if (!clear) throw new StoreUnavailableError('The cache cannot be cleared.');
    await this.#call(this.phase(), () => clear.call(this.#cache), 'clear', true);
  }

  async #userMarked(userId: string, deadline: Deadline): Promise<boolean> {
    try {
      const key = userMarkKey(userId);
      return (await this.#call(deadline, () => this.#cache.get(key), 'get')) !== null;
    } catch {
      return true; // unknown: leave nothing behind
    }
  }

  #read(id: string, deadline: Deadline, force = false): Promise<Seen> {
    return this.#call(
      deadline,
      () => this.#cache.get(id),
      'get',
      force,
      toSeen,
      (error) =>
        // The cache store cannot read its own record: nothing to serve, and a
        // writer clears it out of the way.
        error instanceof CorruptRecordError ? FOREIGN_SEEN : this.#fail(error),
    );
  }

  #cas(
    id: string,
    record: SessionRecord,
    ifVersion: string,
    deadline: Deadline,
    force = false,
  ): Promise<WriteResult> {
    return this.#call(
      deadline,
      () => this.#cache.update(id, record, { ifVersion }),
      'update',
      force,
    );
  }

  /**
   * One cache call within the phase's deadline, its outcome mapped by
   * `value`, its failure by `failure`. A failure or a timeout marks the
   * cache down, so the rest of this operation and the next ones do without
   * it.
   */
  #call<T, R = T>(
    deadline: Deadline,
    send: () => Promise<T>,
    what: string,
    force = false,
    value: (outcome: T) => R = same as (outcome: T) => R,
    failure: (error: unknown) => R = this.#fail,
  ): Promise<R> {
    let call: Promise<T>;
    let remaining: number;
    try {
      if (!force && !this.#health.usable) return Promise.resolve(failure(SKIP));
      remaining = deadline - this.#deadlines.now();
      if (remaining < 1) {
        this.#down(
          new StoreUnavailableError(
            `The cache ran out of its ${this.#options.timeoutMs} ms budget.`,
          ),
        );
        return Promise.resolve(failure(SKIP));
      }
      call = send();
    } catch (error) {
      return Promise.reject(error);
    }
    // A cache store bounds its own calls: when its bound fits the budget left,
    // it is the bound, and no timer of ours is needed (the common case: a read).
    const own = this.#cache.capabilities.operationTimeoutMs;
    if (own === undefined || own <= remaining) return call.then(value, failure);
    return this.#deadlines.bound(call, deadline, `cache ${what}`, value, failure);
  }

  /** A failed call: marks the cache down if it is unavailable, and rejects. */
  readonly #fail = (error: unknown): never => {
    const failure = error === SKIP ? error : asUnavailable(error, 'cache call');
    if (failure instanceof StoreUnavailableError) this.#down(failure);
    throw failure;
  };

  /** A failed read on the hit path: a record the cache cannot decode is foreign; else nothing. */
  readonly #readFailure = (error: unknown): Seen | undefined => {
    if (error instanceof CorruptRecordError) return FOREIGN_SEEN;
    if (error === SKIP) return undefined;
    const failure = asUnavailable(error, 'cache get');
    if (failure instanceof StoreUnavailableError) this.#down(failure);
    return undefined;
  };

  /**
   * Many writers of one session at once (parallel requests of one user on
   * many processes) keep changing its mark, and each compare-and-set that
   * loses costs two round trips. After five lost turns (more than a handful
   * of operations on one session cause) a writer waits a random while,
   * growing, so the others get through first: with 50 writers of one
   * session, the most turns a writer took fell from 79 to 24 (measured).
   */
  async #backOff(attempt: number, deadline: Deadline): Promise<void> {
    if (attempt < 5) return;
    const cap = Math.min(2 ** (attempt - 4), 64, deadline - this.#deadlines.now() - 1);
    if (cap > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * cap));
  }

  /**
   * A fence or release that could not finish marks the cache down (if the
   * failure has not already), so the recovery invalidates what it left.
   */
  #fault(error: unknown, what: string): void {
    if (error === SKIP || error instanceof StoreUnavailableError) return;
    this.#down(new StoreUnavailableError(`The cache ${what} did not complete.`, { cause: error }));
  }

  #down(error: StoreUnavailableError): void {
    this.#options.counters.cacheFailures++;
    this.#health.failed(error);
  }

  #mark(writers: readonly string[], expiresAt: number): SessionRecord {
    return { data: encodeMark(writers), expiresAt };
  }

  /** A cache record holding `record`, or undefined when it should not be cached. */
  #value(record: StoredSession): SessionRecord | undefined {
    const now = this.#options.now();
    if (record.expiresAt - now < MIN_CACHED_LIFE_MS) return undefined;
    const data = encodeValue(record);
    if (data === undefined) return undefined;
    return { data, expiresAt: Math.min(record.expiresAt, now + this.#options.maxAgeMs) };
  }
}

/**
 * The cache key of a user's mark: a hash, so any user id fits the session id
 * alphabet. `t-` plus 43 characters cannot be a `SessionManager` id (those
 * are 43), and an entry under it never decodes as a value.
 */
function userMarkKey(userId: string): string {
  return `t-${createHash('sha256').update(userId).digest('base64url')}`;
}

/** How late a call may be given up after its deadline: a tenth of the budget, 5 to 50 ms. */
export function tickFor(timeoutMs: number): number {
  return Math.max(5, Math.min(50, Math.floor(timeoutMs / 10)));
}
