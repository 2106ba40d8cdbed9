/**
 * The store contract: what every session store implements and what the
 * conformance suite (`@sess/core/conformance`) checks.
 *
 * A store keeps an opaque string under a validated id until an absolute
 * expiry. It never sees a cookie or a JavaScript object: the session
 * lifecycle (tokens, codec, expiry policy, merges) lives in `SessionManager`.
 */

/** Opaque record version. It changes on every successful `create` or `update`. */
export type Version = string;

/** What a caller writes. */
export interface SessionRecord {
  /** The encoded session. Its UTF-8 size is bounded by `capabilities.maxPayloadBytes`. */
  readonly data: string;
  /** Absolute expiry in epoch milliseconds (an integer, later than now). */
  readonly expiresAt: number;
  /** Owner of the session, for per-user listing and logout (1 to 256 characters). */
  readonly userId?: string;
}

/** What a store returns: the record plus its current version. */
export interface StoredSession extends SessionRecord {
  readonly version: Version;
}

/** Why a write did not happen. */
export type WriteFailure = 'exists' | 'missing' | 'conflict';

/** The outcome of `create` and `update`: a refusal is a value, not an exception. */
export type WriteResult =
  | { readonly ok: true; readonly version: Version }
  | { readonly ok: false; readonly reason: WriteFailure };

export interface UpdateOptions {
  /** Compare-and-set: write only if the stored version is still this one. */
  readonly ifVersion?: Version;
}

export interface ListOptions {
  /** Where the previous page stopped; omit for the first page. */
  readonly cursor?: string;
  /** Page size hint; a page may hold fewer ids (even none) while `cursor` is set. */
  readonly limit?: number;
  /** Only sessions of this user (needs `capabilities.users`). */
  readonly userId?: string;
}

export interface ListPage {
  readonly ids: string[];
  /** Present while more pages may follow. */
  readonly cursor?: string;
}

export interface DestroyByUserOptions {
  /** Keep this session (the caller's own, for "log out everywhere else"). */
  readonly except?: string;
}

/**
 * What a store can do, declared by the store itself. The conformance suite
 * reads it to pick its tiers, and `SessionManager` reads it to decide what
 * to offer.
 */
export interface StoreCapabilities {
  /**
   * `native`: the backend drops expired records by itself (Redis, Memcached).
   * `sweep`: the store filters expired records on read and `clearExpired()`
   * removes them; such a store takes an injectable clock.
   */
  readonly expiry: 'native' | 'sweep';
  /** `list()` pages ids (and filters by `userId` when `users` is true). */
  readonly list: boolean;
  /** `count()` counts live records. */
  readonly count: boolean;
  /** Records keep `userId`; `destroyByUser()` and `list({ userId })` work. */
  readonly users: boolean;
  /** `clear()` empties the store's namespace. */
  readonly clear: boolean;
  /** Granularity of the backend's expiry: 0 when exact to the millisecond. */
  readonly ttlResolutionMs: number;
  /** Largest accepted `data`, in UTF-8 bytes. */
  readonly maxPayloadBytes: number;
  /** Bound on every backend call; absent when the store does no I/O. */
  readonly operationTimeoutMs?: number;
}

/**
 * A session store.
 *
 * Rules every store keeps (each is checked by the conformance suite):
 * - `get` never returns a record whose `expiresAt` has passed.
 * - `create` never overwrites a live record; of concurrent creates of one id exactly one wins.
 * - `update` never revives a destroyed or expired record; with `ifVersion`, of concurrent
 *   updates carrying the same version exactly one wins.
 * - `touch` changes only the expiry.
 * - `destroy` is idempotent and final.
 * - Invalid ids, user ids and records are rejected with typed errors before any I/O.
 * - A failing or slow backend gives `StoreUnavailableError` within `operationTimeoutMs`.
 * - Everything stays inside the store's namespace.
 */
export interface SessionStore {
  readonly capabilities: StoreCapabilities;
  /** The live record, or `null` when it is missing or expired. */
  get(id: string): Promise<StoredSession | null>;
  /** Writes a new record; `exists` when a live one is already there. */
  create(id: string, record: SessionRecord): Promise<WriteResult>;
  /** Replaces a live record; `missing` when there is none, `conflict` when `ifVersion` differs. */
  update(id: string, record: SessionRecord, options?: UpdateOptions): Promise<WriteResult>;
  /** Moves the expiry of a live record; `false` when there is none. */
  touch(id: string, expiresAt: number): Promise<boolean>;
  /** Removes the record if present. */
  destroy(id: string): Promise<void>;
  /** Pages the ids of live records (`capabilities.list`). */
  list?(options?: ListOptions): Promise<ListPage>;
  /** Counts live records (`capabilities.count`). */
  count?(): Promise<number>;
  /** Destroys every session of a user and returns how many (`capabilities.users`). */
  destroyByUser?(userId: string, options?: DestroyByUserOptions): Promise<number>;
  /** Removes expired records and returns how many (`capabilities.expiry === 'sweep'`). */
  clearExpired?(): Promise<number>;
  /** Removes every record in the namespace (`capabilities.clear`). */
  clear?(): Promise<void>;
  /** Releases what the store opened itself; idempotent. A client passed in stays open. */
  close(): Promise<void>;
}

/** A source of the current time in epoch milliseconds. */
export type Clock = () => number;
