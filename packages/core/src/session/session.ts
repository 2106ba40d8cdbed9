import type { Version } from '../contract.js';
import { InvalidOptionError, SessionDataError } from '../errors.js';
import { assertUserId } from '../store-kit/validation.js';
import { FORBIDDEN_KEYS, type SessionData } from './codec.js';
import { flashKey, isFlashKey } from './flash.js';
import type { ExpiryPolicy, SessionLifetime } from './policy.js';

/** Computes a key's new value from its current one (`undefined`: absent; return it to delete). */
export type Updater<T = unknown> = (value: T | undefined) => T | undefined;

/** What a session asks of the manager that loaded it. */
export interface SessionHost {
  readonly policy: ExpiryPolicy;
  takeFlash(state: SessionState, key: string): Promise<unknown>;
}

/**
 * What the manager knows of one session. Kept out of the public `Session`
 * surface: apps read and write keys; only `SessionManager` saves.
 */
export interface SessionState {
  /** The cookie's token while the session is stored under it. */
  token: string | undefined;
  /** The store id (SHA-256 of the token) while stored. */
  id: string | undefined;
  /** Version of the stored record this request last saw. */
  version: Version | undefined;
  /** Data as stored when loaded or last committed: the base of merges. */
  baseline: Map<string, unknown>;
  /** Data as this request sees it. */
  data: Map<string, unknown>;
  /** Keys this request set or deleted since `baseline`: all a merge re-applies. */
  changes: Set<string>;
  /** Of `changes`, the keys changed by `update()`: on a conflict their function runs again. */
  updates: Map<string, Updater>;
  userId: string | undefined;
  userIdChanged: boolean;
  createdAt: number;
  absoluteExpiresAt: number;
  /** Stored expiry (what the cookie holds too). */
  expiresAt: number | undefined;
  /** Stored ids to destroy on commit: the old id after `regenerate()` or `destroy()`. */
  retired: string[];
  /** `regenerate()` was called: commit writes the data under a new token. */
  rotate: boolean;
  /** `destroy()` was called: unless data is set again, commit clears the cookie. */
  destroyed: boolean;
  /** Version of the record `regenerate()` left, to merge with what others wrote since. */
  rotatedFrom: { id: string; version: Version | undefined } | undefined;
  /** This session's own idle timeout (`setLifetime`); undefined: the manager's. */
  idleTimeoutMs: number | undefined;
  /** This session's own absolute timeout, for a session not stored yet; undefined: the manager's. */
  absoluteTimeoutMs: number | undefined;
  /** False: a browser-session cookie, without an expiry. */
  persistent: boolean;
  /** `setLifetime()` was called since the last commit: the record must be written. */
  lifetimeChanged: boolean;
  readonly host: SessionHost;
}

/** Forgets what this request changed: after a commit wrote it, or when it is dropped. */
export function clearChanges(s: SessionState): void {
  s.changes.clear();
  s.updates.clear();
  s.lifetimeChanged = false;
}

/** The lifetime fields of a session that has none of its own. */
export const DEFAULT_LIFETIME = {
  idleTimeoutMs: undefined,
  absoluteTimeoutMs: undefined,
  persistent: true,
  lifetimeChanged: false,
} as const satisfies Partial<SessionState>;

let stateOf: <D extends SessionData>(session: Session<D>) => SessionState;

/** The manager's view of a session (not exported from the package). */
export function sessionState<D extends SessionData>(session: Session<D>): SessionState {
  return stateOf(session);
}

/**
 * One session, as loaded for one request. Read and change it freely; nothing
 * reaches the store until `SessionManager.commit(session)`.
 *
 * Values are held as given: after changing an object in place, `set` it again
 * so the change is saved (only keys passed to `set` or `delete` are written).
 *
 * @example
 * const session = await manager.load(tokenFromCookie);
 * const visits = (session.get('visits') ?? 0) + 1;
 * session.set('visits', visits);
 * const cookie = await manager.commit(session);
 */
export class Session<Data extends SessionData = SessionData> {
  readonly #state: SessionState;

  static {
    stateOf = <D extends SessionData>(session: Session<D>) => session.#state;
  }

  /** @internal Sessions come from `SessionManager.load`. */
  constructor(state: SessionState) {
    this.#state = state;
  }

  /**
   * The store id: the SHA-256 of the cookie's token, not the token. Safe to
   * show or log; it is what `listForUser` returns. Undefined until stored.
   */
  get id(): string | undefined {
    return this.#state.id;
  }

  /** True until the session has a stored record (also after `regenerate()` or `destroy()`). */
  get isNew(): boolean {
    return this.#state.id === undefined;
  }

  /** True when commit has something to write: a key, the user, the lifetime, a rotation or a logout. */
  get isModified(): boolean {
    const s = this.#state;
    return (
      s.changes.size > 0 || s.userIdChanged || s.lifetimeChanged || s.rotate || s.retired.length > 0
    );
  }

  /** When the session was created (epoch ms). */
  get createdAt(): number {
    return this.#state.createdAt;
  }

  /** When the stored session expires unless renewed (epoch ms); undefined until stored. */
  get expiresAt(): number | undefined {
    return this.#state.expiresAt;
  }

  /** False for a browser-session cookie (`setLifetime({ persistent: false })`). */
  get persistent(): boolean {
    return this.#state.persistent;
  }

  /**
   * Gives this session its own lifetime, stored with it and kept by every
   * later load, renewal and cookie. What is left out is unchanged. The
   * manager's `idleTimeoutMs` and `absoluteTimeoutMs` are the defaults, and
   * its `maxIdleTimeoutMs` and `maxAbsoluteTimeoutMs` (by default the same)
   * the most a session may ask for: above them, or for an idle timeout longer
   * than the absolute one, it throws `InvalidOptionError`. The absolute
   * timeout counts from the session's creation.
   *
   * @example
   * // at login: "remember me" for 30 days, or a browser-session cookie idle after 30 minutes
   * if (rememberMe) session.setLifetime({ idleTimeoutMs: 30 * DAY, absoluteTimeoutMs: 30 * DAY });
   * else session.setLifetime({ persistent: false, idleTimeoutMs: 30 * 60_000 });
   */
  setLifetime(lifetime: SessionLifetime): this {
    const s = this.#state;
    const { idleTimeoutMs, absoluteTimeoutMs, persistent } = s.host.policy.checkLifetime(lifetime);
    const idle = idleTimeoutMs ?? s.idleTimeoutMs;
    const absolute = absoluteTimeoutMs ?? s.absoluteExpiresAt - s.createdAt;
    if (idle !== undefined && idle > absolute) {
      throw new InvalidOptionError(
        `idleTimeoutMs (${idle}) cannot be longer than this session's absolute timeout (${absolute}).`,
      );
    }
    if (idleTimeoutMs !== undefined) s.idleTimeoutMs = idleTimeoutMs;
    if (absoluteTimeoutMs !== undefined) {
      s.absoluteTimeoutMs = absoluteTimeoutMs;
      s.absoluteExpiresAt = s.createdAt + absoluteTimeoutMs;
    }
    if (persistent !== undefined) s.persistent = persistent;
    s.lifetimeChanged = true;
    return this;
  }

  /** Owner, for `listForUser` and `destroyForUser`. Set it at login, after `regenerate()`. */
  get userId(): string | undefined {
    return this.#state.userId;
  }

  set userId(userId: string | undefined) {
    if (userId !== undefined) assertUserId(userId);
    if (userId === this.#state.userId) return;
    this.#state.userId = userId;
    this.#state.userIdChanged = true;
  }

  get<K extends keyof Data & string>(key: K): Data[K] | undefined {
    return this.#state.data.get(key) as Data[K] | undefined;
  }

  /** Sets a key; `undefined` deletes it. Encodability is checked at commit, before any store call. */
  set<K extends keyof Data & string>(key: K, value: Data[K]): this {
    checkKey(key);
    if (value === undefined) {
      this.delete(key);
      return this;
    }
    this.#write(key, value);
    return this;
  }

  /**
   * Changes a key from its current value: an exact read-modify-write. `fn`
   * runs now, and again on the value stored by then whenever the commit
   * meets a concurrent write, so concurrent updates all count (50 parallel
   * `update('n', (n) => (n ?? 0) + 1)` add exactly 50). Use it for counters,
   * carts and every value computed from itself; a `set` is last-writer-wins
   * for its key. `fn` must be pure: it may run several times. Returning
   * `undefined` deletes the key. The `merge` option is not consulted for it.
   *
   * @example
   * session.update('views', (views) => (views ?? 0) + 1);
   * session.update('cart', (cart) => [...(cart ?? []), 'book']);
   */
  update<K extends keyof Data & string>(key: K, fn: Updater<Data[K]>): this {
    checkKey(key);
    if (typeof fn !== 'function') throw new SessionDataError('update() takes a function.');
    const s = this.#state;
    const before = s.updates.get(key) as Updater<Data[K]> | undefined;
    const value = fn(s.data.get(key) as Data[K] | undefined);
    // After a plain set of this key, the request already decided its value:
    // it stays a set. Otherwise the functions compose, for the re-run.
    const plainSet = s.changes.has(key) && before === undefined;
    this.#write(key, value);
    if (!plainSet) {
      s.changes.add(key);
      s.updates.set(key, before ? (v) => fn(before(v as Data[K])) : (fn as Updater));
    }
    return this;
  }

  /** Deletes a key; true when it was there. */
  delete(key: keyof Data & string): boolean {
    const s = this.#state;
    s.updates.delete(key);
    const had = s.data.delete(key);
    // Stryker disable next-line LogicalOperator: a key in data but not in the baseline, or the reverse, was set or deleted earlier in this request: already a change
    if (had || s.baseline.has(key)) s.changes.add(key);
    return had;
  }

  /**
   * Keeps a value for one later read: the next `takeFlash(key)`, in this
   * request or a later one ("Saved.", after a redirect). `undefined` removes it.
   *
   * @example
   * session.flash('notice', 'Your profile was saved.');
   */
  flash(key: string, value: unknown): this {
    checkKey(key);
    const stored = flashKey(key);
    if (value === undefined) this.delete(stored);
    else this.#write(stored, value);
    return this;
  }

  /**
   * The flash value under `key`, removed at once: it is read exactly once.
   * A value from a stored session is removed from the store with
   * compare-and-set before it is returned, so of two requests taking it at
   * the same time, one gets it and the other gets `undefined`. Costs no store
   * call when the session holds no such value.
   *
   * @example
   * const notice = await session.takeFlash<string>('notice');
   */
  takeFlash<T = unknown>(key: string): Promise<T | undefined> {
    checkKey(key);
    return this.#state.host.takeFlash(this.#state, flashKey(key)) as Promise<T | undefined>;
  }

  #write(key: string, value: unknown): void {
    const s = this.#state;
    s.updates.delete(key);
    if (value === undefined) {
      s.data.delete(key);
      if (s.baseline.has(key)) s.changes.add(key);
      else s.changes.delete(key);
      return;
    }
    s.data.set(key, value);
    s.changes.add(key);
  }

  has(key: keyof Data & string): boolean {
    return this.#state.data.has(key);
  }

  /** The keys of the data, without flash values. */
  keys(): Array<keyof Data & string> {
    return [...this.#state.data.keys()].filter((key) => !isFlashKey(key)) as Array<
      keyof Data & string
    >;
  }

  /**
   * Moves the session to a new token, keeping its data; the old record is
   * destroyed on commit. Call it at login (and on any privilege change) so a
   * token planted before login is worthless after it.
   */
  regenerate(): void {
    const s = this.#state;
    if (s.id !== undefined) {
      s.retired.push(s.id);
      s.rotatedFrom = { id: s.id, version: s.version };
    }
    s.token = undefined;
    s.id = undefined;
    s.version = undefined;
    s.expiresAt = undefined;
    s.rotate = true;
  }

  /**
   * Ends the session: its record is destroyed on commit and the cookie
   * cleared. Keys set afterwards start a brand-new session (e.g. a flash
   * message after logout).
   */
  destroy(): void {
    const s = this.#state;
    if (s.id !== undefined) s.retired.push(s.id);
    s.token = undefined;
    s.id = undefined;
    s.version = undefined;
    s.expiresAt = undefined;
    s.baseline = new Map();
    s.data = new Map();
    clearChanges(s);
    s.userId = undefined;
    s.userIdChanged = false;
    s.rotate = false;
    s.rotatedFrom = undefined;
    s.destroyed = true;
    // A session started after the logout gets the manager's lifetime again.
    Object.assign(s, DEFAULT_LIFETIME);
  }
}

function checkKey(key: unknown): void {
  if (typeof key !== 'string') {
    throw new SessionDataError('Session keys are strings.');
  }
  if (FORBIDDEN_KEYS.has(key)) {
    throw new SessionDataError(`The session key "${key}" is refused (prototype pollution).`);
  }
  if (isFlashKey(key)) {
    throw new SessionDataError(`The session key "${key}" is reserved for flash values.`);
  }
}
