import type { Version } from '../contract.js';
import { SessionDataError } from '../errors.js';
import { assertUserId } from '../store-kit/validation.js';
import { FORBIDDEN_KEYS, type SessionData } from './codec.js';

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
}

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

  /** True when commit has something to write: a key, the user, a rotation or a logout. */
  get isModified(): boolean {
    const s = this.#state;
    return s.changes.size > 0 || s.userIdChanged || s.rotate || s.retired.length > 0;
  }

  /** When the session was created (epoch ms). */
  get createdAt(): number {
    return this.#state.createdAt;
  }

  /** When the stored session expires unless renewed (epoch ms); undefined until stored. */
  get expiresAt(): number | undefined {
    return this.#state.expiresAt;
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
    this.#state.data.set(key, value);
    this.#state.changes.add(key);
    return this;
  }

  /** Deletes a key; true when it was there. */
  delete(key: keyof Data & string): boolean {
    const had = this.#state.data.delete(key);
    // Stryker disable next-line LogicalOperator: a key in data but not in the baseline, or the reverse, was set or deleted earlier in this request: already a change
    if (had || this.#state.baseline.has(key)) this.#state.changes.add(key);
    return had;
  }

  has(key: keyof Data & string): boolean {
    return this.#state.data.has(key);
  }

  keys(): Array<keyof Data & string> {
    return [...this.#state.data.keys()] as Array<keyof Data & string>;
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
    s.changes.clear();
    s.userId = undefined;
    s.userIdChanged = false;
    s.rotate = false;
    s.rotatedFrom = undefined;
    s.destroyed = true;
  }
}

function checkKey(key: unknown): void {
  if (typeof key !== 'string') {
    throw new SessionDataError('Session keys are strings.');
  }
  if (FORBIDDEN_KEYS.has(key)) {
    throw new SessionDataError(`The session key "${key}" is refused (prototype pollution).`);
  }
}
