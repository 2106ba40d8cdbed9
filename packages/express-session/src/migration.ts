import {
  InvalidUserIdError,
  PayloadTooLargeError,
  SessionDataError,
  type SessionRecord,
  type SessionStore,
} from '@sess/core';
import { isValidSessionId } from '@sess/core/store-kit';
import type { Legacy } from './legacy.js';
import { integerOption } from './options.js';
import { type PlainSession, type RecordRules, readSession, toRecord } from './record.js';

/**
 * Moving sessions out of a legacy express-session store, one at a time as
 * they are read, and in bulk.
 *
 * The order of steps is what keeps a logout final. A move is: read the legacy
 * store, `create` in sess, read the legacy store again, then remove the
 * legacy copy. A destroy removes the legacy copy first, then the sess record.
 * Whatever the interleaving, a destroy that completes leaves nothing behind:
 * if the move's `create` lands after the destroy's sess step, the move's
 * second read comes after the destroy's legacy step, finds nothing, and the
 * move deletes what it wrote. Only a destroy and the move that created the
 * sess record ever remove a legacy copy, so that second read cannot mistake
 * another process's cleanup for a logout.
 */

/** Counters since this process started, for watching a migration. */
export interface MigrationStats {
  /** Reads that missed in sess and asked the legacy store. */
  readonly legacyReads: number;
  /** Sessions moved into sess, by reads and by `migrateAll()`. */
  readonly migrated: number;
  /** Legacy reads that found nothing (unknown or expired sid, or moved already). */
  readonly notFound: number;
  /**
   * Legacy sessions that cannot move: data the codec refuses, a payload over
   * the store's limit, a user id the store refuses, or (in `migrateAll()`) a
   * sid outside sess's id rules. Reads serve them from the legacy store.
   */
  readonly unmovable: number;
}

/** Where `migrateAll()` stands. */
export interface MigrationProgress {
  /** Sids from the listing dealt with so far: the sum of the counts below. */
  readonly listed: number;
  /** Moved into sess by this pass. */
  readonly migrated: number;
  /** Already in sess (moved by a read, or written since). */
  readonly alreadyMoved: number;
  /** Gone from the legacy store by the time the pass reached them (expired, logged out). */
  readonly notFound: number;
  /** Cannot move (see `MigrationStats.unmovable`). */
  readonly unmovable: number;
  /** Failed with an error (a store down or slow); run the pass again for them. */
  readonly failed: number;
  /** True in the last report, when the pass has finished or stopped. */
  readonly done: boolean;
}

export interface MigrateAllOptions {
  /**
   * The sids to move. Default: the legacy store's `ids()`, else its `all()`.
   * Pass them for stores that cannot list (connect-pg-simple:
   * `SELECT sid FROM session WHERE expire > now()`), or to stream a large
   * store page by page.
   */
  readonly ids?: Iterable<string> | AsyncIterable<string>;
  /** Sessions moved at once. Default 8. */
  readonly concurrency?: number;
  /** Called every `progressEvery` sessions and once at the end. */
  readonly onProgress?: (progress: MigrationProgress) => void;
  /** Sessions between two progress reports. Default 1000. */
  readonly progressEvery?: number;
  /** Stops the pass; it resolves with the report so far. */
  readonly signal?: AbortSignal;
  /** Bound on the legacy store's listing call. Default 5 minutes. */
  readonly listTimeoutMs?: number;
}

type Outcome = 'migrated' | 'alreadyMoved' | 'notFound' | 'unmovable';

interface Moved {
  readonly session: PlainSession | null;
  readonly outcome: Outcome;
}

export class Migration {
  readonly #store: SessionStore;
  readonly #legacy: Legacy;
  readonly #rules: RecordRules;
  readonly #keep: boolean;
  // Reads of one sid in this process share one move.
  readonly #moving = new Map<string, Promise<Moved>>();
  readonly #stats = { legacyReads: 0, migrated: 0, notFound: 0, unmovable: 0 };

  constructor(store: SessionStore, legacy: Legacy, rules: RecordRules, keep: boolean) {
    this.#store = store;
    this.#legacy = legacy;
    this.#rules = rules;
    this.#keep = keep;
  }

  get legacy(): Legacy {
    return this.#legacy;
  }

  stats(): MigrationStats {
    return { ...this.#stats };
  }

  /** After a miss in sess: the session from the legacy store, moved into sess on the way. */
  async read(sid: string): Promise<PlainSession | null> {
    return (await this.#moveOnce(sid)).session;
  }

  /** Moves every session the legacy store still holds. */
  async moveAll(options: MigrateAllOptions = {}): Promise<MigrationProgress> {
    const concurrency = integerOption('concurrency', options.concurrency, 8, 1);
    const every = integerOption('progressEvery', options.progressEvery, 1000, 1);
    const listTimeoutMs = integerOption('listTimeoutMs', options.listTimeoutMs, 300_000, 1);
    const counts = {
      listed: 0,
      migrated: 0,
      alreadyMoved: 0,
      notFound: 0,
      unmovable: 0,
      failed: 0,
    };
    const report = (done: boolean) => options.onProgress?.({ ...counts, done });
    const source = options.ids ?? (await this.#legacy.ids(listTimeoutMs));
    const ids = iterate(source);
    const worker = async () => {
      while (!options.signal?.aborted) {
        const next = await ids.next();
        if (next.done) return;
        try {
          counts[await this.#moveIfMissing(next.value)]++;
        } catch {
          counts.failed++;
        }
        if (++counts.listed % every === 0) report(false);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    report(true);
    return { ...counts, done: true };
  }

  async #moveIfMissing(sid: string): Promise<Outcome> {
    if (!isValidSessionId(sid)) {
      this.#stats.unmovable++;
      return 'unmovable';
    }
    // A record in sess wins. Its legacy copy, if any, stays: only the move
    // that wrote the record may remove it (see the top of this file).
    if (await this.#store.get(sid)) return 'alreadyMoved';
    return (await this.#moveOnce(sid)).outcome;
  }

  #moveOnce(sid: string): Promise<Moved> {
    const running = this.#moving.get(sid);
    if (running) return running;
    const move = this.#move(sid).finally(() => this.#moving.delete(sid));
    this.#moving.set(sid, move);
    return move;
  }

  async #move(sid: string): Promise<Moved> {
    this.#stats.legacyReads++;
    const found = await this.#legacy.get(sid);
    if (found === null) {
      // Another process may have moved it between our miss in sess and this read.
      const stored = await this.#store.get(sid);
      if (stored) return this.#alreadyMoved(stored.data);
      return this.#notFound();
    }
    const now = Date.now();
    let record: SessionRecord;
    try {
      record = toRecord(found, now, this.#rules);
    } catch (error) {
      return this.#unmovable(found, error);
    }
    if (record.expiresAt <= now) {
      await this.#legacy.destroy(sid);
      return this.#notFound();
    }
    let written: Awaited<ReturnType<SessionStore['create']>>;
    try {
      written = await this.#store.create(sid, record);
    } catch (error) {
      return this.#unmovable(found, error);
    }
    if (!written.ok) {
      // Another process moved it (or the app wrote it) first: that record wins.
      const stored = await this.#store.get(sid);
      return stored ? this.#alreadyMoved(stored.data) : this.#notFound();
    }
    let still: PlainSession | null;
    try {
      still = await this.#legacy.get(sid);
    } catch (error) {
      // Cannot tell whether a logout ran meanwhile: take the copy back out.
      await this.#store.destroy(sid).catch(() => {});
      throw error;
    }
    if (still === null) {
      // A destroy ran since the first read; its sess step may have come before our create.
      await this.#store.destroy(sid);
      return this.#notFound();
    }
    if (!this.#keep) {
      // A copy left behind is harmless: sess wins on every read, and a destroy removes both.
      await this.#legacy.destroy(sid).catch(() => {});
    }
    this.#stats.migrated++;
    return { session: found, outcome: 'migrated' };
  }

  #alreadyMoved(data: string): Moved {
    return { session: readSession(data, this.#rules.codec), outcome: 'alreadyMoved' };
  }

  #notFound(): Moved {
    this.#stats.notFound++;
    return { session: null, outcome: 'notFound' };
  }

  /** Data sess cannot hold is served from the legacy store as it is; anything else is a failure. */
  #unmovable(found: PlainSession, error: unknown): Moved {
    const refused =
      error instanceof SessionDataError ||
      error instanceof PayloadTooLargeError ||
      error instanceof InvalidUserIdError;
    if (!refused) throw error;
    this.#stats.unmovable++;
    return { session: found, outcome: 'unmovable' };
  }
}

function iterate(source: Iterable<string> | AsyncIterable<string>): AsyncIterator<string> {
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  const sync = source[Symbol.iterator]();
  return { next: async () => sync.next() };
}
