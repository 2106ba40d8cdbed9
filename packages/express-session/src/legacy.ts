import { CorruptRecordError, UnsupportedOperationError } from '@sess/core';
import { withTimeout } from '@sess/core/store-kit';
import { type PlainSession, plainSession } from './record.js';

/**
 * Any express-session store (connect-redis, connect-pg-simple,
 * connect-mongo...): the part of its API a migration uses. `get` and
 * `destroy` are required; `ids` or `all` let `migrateAll()` list what is left
 * (otherwise pass it the ids), `clear` lets `clear()` empty both stores.
 */
export interface LegacyStore {
  get(sid: string, callback: (error: unknown, session?: unknown) => void): unknown;
  destroy(sid: string, callback: (error?: unknown) => void): unknown;
  ids?(callback: (error: unknown, ids?: unknown) => void): unknown;
  all?(callback: (error: unknown, sessions?: unknown) => void): unknown;
  clear?(callback: (error?: unknown) => void): unknown;
}

type Done<T> = (error: unknown, value?: T) => void;

/**
 * A legacy store behind promises with a bound on every call: stores built on
 * clients with an offline queue (connect-redis) would otherwise wait forever
 * on a server that is down.
 */
export class Legacy {
  readonly #store: LegacyStore;
  readonly #timeoutMs: number;

  constructor(store: LegacyStore, timeoutMs: number) {
    this.#store = store;
    this.#timeoutMs = timeoutMs;
  }

  /** The session under `sid` as plain data (cookie `expires` a Date), or null. */
  async get(sid: string): Promise<PlainSession | null> {
    const found = await this.#call<unknown>('get', this.#timeoutMs, (done) =>
      // express-session reads ENOENT as "no such session" (session-file-store gives it).
      this.#store.get(sid, (error, session) =>
        (error as { code?: unknown } | null)?.code === 'ENOENT' ? done(null) : done(error, session),
      ),
    );
    if (found === null || found === undefined) return null;
    if (typeof found !== 'object') {
      throw new CorruptRecordError('The legacy store returned something other than a session.');
    }
    return plainSession(found);
  }

  async destroy(sid: string): Promise<void> {
    await this.#call<void>('destroy', this.#timeoutMs, (done) => this.#store.destroy(sid, done));
  }

  async clear(): Promise<void> {
    const clear = this.#store.clear;
    if (typeof clear !== 'function')
      throw new UnsupportedOperationError('clear', 'the legacy store');
    await this.#call<void>('clear', this.#timeoutMs, (done) => clear.call(this.#store, done));
  }

  /** Every sid the store holds, through its `ids()` or else its `all()`. */
  async ids(timeoutMs: number): Promise<string[]> {
    const { ids, all } = this.#store;
    if (typeof ids === 'function') {
      const listed = await this.#call<unknown>('ids', timeoutMs, (done) =>
        ids.call(this.#store, done),
      );
      if (Array.isArray(listed)) return listed.filter((id) => typeof id === 'string');
    } else if (typeof all === 'function') {
      const sessions = await this.#call<unknown>('all', timeoutMs, (done) =>
        all.call(this.#store, done),
      );
      // An array of sessions carrying their sid (connect-redis), or an object keyed by sid (MemoryStore).
      if (Array.isArray(sessions)) {
        const ids = sessions.map((s) => (s as { id?: unknown } | null)?.id);
        if (ids.every((id) => typeof id === 'string')) return ids as string[];
      } else if (typeof sessions === 'object' && sessions !== null) {
        return Object.keys(sessions);
      }
    }
    throw new UnsupportedOperationError('listing (ids() or all() with sids)', 'the legacy store');
  }

  #call<T>(what: string, timeoutMs: number, run: (done: Done<T>) => unknown): Promise<T> {
    const work = new Promise<T>((resolve, reject) => {
      const returned = run((error, value) => (error ? reject(error) : resolve(value as T)));
      // Stores that also return a promise (connect-redis) settle it themselves;
      // its rejection, if any, must not go unhandled.
      if (typeof (returned as PromiseLike<unknown> | undefined)?.then === 'function') {
        (returned as PromiseLike<unknown>).then(undefined, () => {});
      }
    });
    return withTimeout(work, timeoutMs, `The legacy store's ${what}()`);
  }
}
