import type { Clock, SessionRecord, SessionStore, StoredSession, Version } from '../contract.js';
import { publishRenew, publishRetry, publishRotate, publishUnreadable } from '../diagnostics.js';
import { InvalidOptionError, SessionConflictError, UnsupportedOperationError } from '../errors.js';
import { type OptionKeys, rejectUnknownOptions } from '../store-kit/options.js';
import { assertUserId, systemClock } from '../store-kit/validation.js';
import { defaultSessionCodec, type SessionCodec, type SessionData } from './codec.js';
import { takeStoredFlash } from './flash.js';
import { observeStore, traceCommit } from './observe.js';
import { type ExpiryOptions, ExpiryPolicy } from './policy.js';
import {
  clearChanges,
  DEFAULT_LIFETIME,
  Session,
  type SessionHost,
  type SessionState,
  sessionState,
} from './session.js';
import { type RecordFields, StoredForm } from './stored-form.js';
import { createToken, isWellFormedToken, sessionIdOf, TOKEN_BYTES } from './token.js';
import { getReadable, listUserSessions, type SessionInfo, storeName } from './user-sessions.js';

/** One key both this request and another one changed, handed to the `merge` option. */
export interface MergeConflict {
  readonly key: string;
  /** The value when this request loaded the session (`undefined`: absent). */
  readonly base: unknown;
  /** The value this request set (`undefined`: it deleted the key). */
  readonly ours: unknown;
  /** The value stored now, written by the other request (`undefined`: absent). */
  readonly theirs: unknown;
}

/** Decides the value of a key two requests changed; return `undefined` to delete it. */
export type MergeFunction = (conflict: MergeConflict) => unknown;

export interface SessionManagerOptions extends ExpiryOptions {
  /** Where sessions live. The manager speaks only the store contract. */
  readonly store: SessionStore;
  /** Turns data into the stored string. Default: `defaultSessionCodec`. */
  readonly codec?: SessionCodec;
  /**
   * Resolves a key changed by this request and, concurrently, by another.
   * Default: this request's value wins for the keys it changed (last writer
   * wins per key); keys it did not touch keep the other request's values.
   */
  readonly merge?: MergeFunction;
  /** Retries of a save that met a concurrent write, before `SessionConflictError`. Default 10. */
  readonly conflictRetries?: number;
  /** Random bytes per token, 32 (256 bits, the default) to 96. */
  readonly tokenBytes?: number;
  /** Current time in epoch ms. Default `Date.now`. Give the store the same clock. */
  readonly now?: Clock;
}

/**
 * What the response's cookie must become:
 * - `{ token, expiresAt }`: set the cookie to `token`, expiring at `expiresAt`
 *   (the stored expiry: cookie and store agree); with `persistent: false`
 *   (`session.setLifetime({ persistent: false })`), a cookie without an
 *   expiry, which the browser forgets when it closes;
 * - `{ clear: true }`: the session was destroyed, clear the cookie;
 * - `null`: send no cookie; the one the browser holds is still right. Also
 *   the answer when the session ended while this request ran (a logout or
 *   `destroyForUser` elsewhere): the changes of this request were dropped,
 *   and the request that ended the session has already set the cookie.
 */
export type CommitResult =
  | { readonly token: string; readonly expiresAt: number; readonly persistent?: false }
  | { readonly clear: true }
  | null;

/** A record written under a new token. */
interface Created {
  readonly token: string;
  readonly id: string;
  readonly version: Version;
}

const MANAGER_OPTIONS: OptionKeys<SessionManagerOptions> = {
  store: true,
  codec: true,
  merge: true,
  conflictRetries: true,
  tokenBytes: true,
  now: true,
  idleTimeoutMs: true,
  absoluteTimeoutMs: true,
  renewWhenRemainingMs: true,
  maxIdleTimeoutMs: true,
  maxAbsoluteTimeoutMs: true,
};

const CREATE_ATTEMPTS = 3;
const BACKOFF_BASE_MS = 2;
const BACKOFF_CAP_MS = 200;

/**
 * The session lifecycle: load by token, read and write keys, commit.
 *
 * Tokens are 256 random bits; the store sees only their SHA-256. Commit does
 * the least work: nothing for an untouched new session, `create` for a new one
 * with data, `update` with `ifVersion` when data changed (re-reading and
 * re-applying this request's keys on a conflict), `touch` only when the idle
 * window is running low, `destroy` after `session.destroy()`. A session ends
 * after `idleTimeoutMs` without renewal, and after `absoluteTimeoutMs` in any
 * case.
 *
 * @example
 * const manager = new SessionManager({ store: new MemoryStore() });
 *
 * // per request:
 * const session = await manager.load(cookies.sess);
 * session.set('visits', (session.get('visits') ?? 0) + 1);
 * const cookie = await manager.commit(session);
 * if (cookie && 'token' in cookie) setCookie('sess', cookie.token, new Date(cookie.expiresAt));
 * else if (cookie) clearCookie('sess');
 */
export class SessionManager<Data extends SessionData = SessionData> {
  readonly store: SessionStore;
  readonly policy: ExpiryPolicy;
  readonly #form: StoredForm;
  readonly #merge: MergeFunction | undefined;
  readonly #retries: number;
  readonly #tokenBytes: number;
  readonly #now: Clock;
  readonly #host: SessionHost;
  // Commits of one session within this manager run one after another: they
  // would only conflict with each other. Across processes, ifVersion decides.
  readonly #queues = new Map<string, Promise<void>>();

  constructor(options: SessionManagerOptions) {
    if (typeof options?.store?.get !== 'function') {
      throw new InvalidOptionError(
        'SessionManager needs a `store` implementing the store contract.',
      );
    }
    rejectUnknownOptions(options, MANAGER_OPTIONS, 'SessionManager');
    this.store = observeStore(options.store);
    this.policy = new ExpiryPolicy(options);
    this.#form = new StoredForm(options.codec ?? defaultSessionCodec, options.store);
    this.#merge = options.merge;
    this.#retries = options.conflictRetries ?? 10;
    if (!Number.isSafeInteger(this.#retries) || this.#retries < 0) {
      throw new InvalidOptionError('conflictRetries must be a non-negative integer.');
    }
    this.#tokenBytes = options.tokenBytes ?? TOKEN_BYTES;
    if (
      !Number.isSafeInteger(this.#tokenBytes) ||
      this.#tokenBytes < TOKEN_BYTES ||
      this.#tokenBytes > 96
    ) {
      throw new InvalidOptionError('tokenBytes must be an integer from 32 to 96.');
    }
    this.#now = options.now ?? systemClock;
    this.#host = { policy: this.policy, takeFlash: (s, key) => this.#takeFlash(s, key) };
  }

  /**
   * The session a token stands for. A missing, malformed, unknown, expired or
   * unreadable token gives a fresh session (its token is never reused: a new
   * session always gets a new one). Rejects only when the store does.
   */
  async load(token: string | null | undefined): Promise<Session<Data>> {
    if (!isWellFormedToken(token)) return this.#fresh();
    const id = sessionIdOf(token);
    const stored = await this.#get(id);
    const read = stored && this.#form.read(stored);
    if (stored && !read) publishUnreadable(this.store, id, 'undecodable');
    const now = this.#now();
    if (!stored || !read || stored.expiresAt <= now || read.absoluteExpiresAt <= now) {
      return this.#fresh();
    }
    return new Session<Data>({
      token,
      id,
      version: stored.version,
      baseline: read.data,
      data: new Map(read.data),
      changes: new Set(),
      updates: new Map(),
      userId: stored.userId,
      userIdChanged: false,
      createdAt: read.createdAt,
      absoluteExpiresAt: read.absoluteExpiresAt,
      expiresAt: stored.expiresAt,
      retired: [],
      rotate: false,
      destroyed: false,
      rotatedFrom: undefined,
      idleTimeoutMs: read.idleTimeoutMs,
      absoluteTimeoutMs: undefined,
      persistent: read.persistent !== false,
      lifetimeChanged: false,
      host: this.#host,
    });
  }

  /**
   * Saves what the request did, with the fewest store calls, and says what
   * the cookie must become. Call it before sending the response headers.
   *
   * Rejects with `SessionDataError` or `PayloadTooLargeError` before any store
   * call when the data cannot be stored, with `SessionConflictError` when
   * concurrent writers kept winning after `conflictRetries`, and with
   * `StoreUnavailableError` when the store fails.
   */
  async commit(session: Session<Data>): Promise<CommitResult> {
    const s = sessionState(session);
    const loaded = s.id ?? s.rotatedFrom?.id;
    return traceCommit(this.store, loaded, () => this.#exclusive(loaded, () => this.#commit(s)));
  }

  /**
   * True when `commit(session)` has something to do: a store call, or a
   * cookie to set or clear. When false, `commit` would resolve to `null`
   * without any I/O, so a glue can let a response that changed nothing go
   * out at once instead of waiting for the commit.
   *
   * @example
   * if (manager.commitDue(session)) cookie = await manager.commit(session);
   */
  commitDue(session: Session<Data>): boolean {
    const s = sessionState(session);
    // Stryker disable next-line LogicalOperator,ConditionalExpression: id and token are set and cleared together, and regenerate() and destroy(), the only ways to retire an id or rotate, clear both
    if (s.id === undefined || s.token === undefined || s.retired.length > 0 || s.rotate) {
      // #commitNew: a record to write, an old one to destroy, or a cookie to clear.
      return (
        // Stryker disable next-line ConditionalExpression: an id is retired only by regenerate() or destroy(), which set rotate or destroyed
        s.rotate || s.destroyed || s.retired.length > 0 || s.data.size > 0 || s.userId !== undefined
      );
    }
    const now = this.#now();
    return (
      now >= s.absoluteExpiresAt ||
      s.changes.size > 0 ||
      s.userIdChanged ||
      s.lifetimeChanged ||
      // Stryker disable next-line ConditionalExpression: a stored session always has its expiry; the test narrows the type
      (s.expiresAt !== undefined && this.#renewalDue(s, now, s.expiresAt))
    );
  }

  /**
   * The live sessions of a user, oldest first; `includeData` also decodes
   * their data. Needs a store declaring `users` and `list`.
   *
   * @example
   * for (const s of await manager.listForUser('alice')) {
   *   console.log(s.id === session.id ? 'this device' : 'other', new Date(s.createdAt));
   * }
   */
  async listForUser(
    userId: string,
    options: { readonly includeData?: boolean } = {},
  ): Promise<SessionInfo<Data>[]> {
    assertUserId(userId);
    return listUserSessions(this.store, this.#form, userId, options.includeData === true);
  }

  /**
   * Destroys every session of a user ("log out everywhere"), or every other
   * one with `except` (the current session or its id). Returns how many.
   * Needs a store declaring `users`.
   *
   * @example
   * await manager.destroyForUser(session.userId, { except: session });
   */
  async destroyForUser(
    userId: string,
    options: { readonly except?: Session<Data> | string } = {},
  ): Promise<number> {
    assertUserId(userId);
    const { store } = this;
    if (!store.capabilities.users || !store.destroyByUser) {
      throw new UnsupportedOperationError('destroyForUser', storeName(store));
    }
    const except = typeof options.except === 'string' ? options.except : options.except?.id;
    // Stryker disable next-line ConditionalExpression: `{ except: undefined }` and no options mean the same in the store contract
    return store.destroyByUser(userId, except === undefined ? undefined : { except });
  }

  #fresh(): Session<Data> {
    const createdAt = this.#now();
    return new Session<Data>({
      token: undefined,
      id: undefined,
      version: undefined,
      baseline: new Map(),
      data: new Map(),
      changes: new Set(),
      updates: new Map(),
      userId: undefined,
      userIdChanged: false,
      createdAt,
      absoluteExpiresAt: this.policy.deadline(createdAt),
      expiresAt: undefined,
      retired: [],
      rotate: false,
      destroyed: false,
      rotatedFrom: undefined,
      ...DEFAULT_LIFETIME,
      host: this.#host,
    });
  }

  async #commit(s: SessionState): Promise<CommitResult> {
    const now = this.#now();
    // The stored session this request carries on, under its token or through a rotation.
    const loaded = s.id ?? s.rotatedFrom?.id;
    if (loaded !== undefined && now >= s.absoluteExpiresAt) {
      // Loaded just before its deadline: it ends here, whatever the request
      // did. A regenerate() cannot extend it either: the deadline belongs to
      // the session, not to its token.
      for (const id of new Set([...s.retired, loaded])) await this.store.destroy(id);
      this.#forget(s);
      return { clear: true };
    }
    // Stryker disable next-line LogicalOperator,ConditionalExpression: id and token are set and cleared together, and regenerate() and destroy(), the only ways to retire an id or rotate, clear both
    if (s.id === undefined || s.token === undefined || s.retired.length > 0 || s.rotate) {
      return this.#commitNew(s, now);
    }
    if (s.changes.size > 0 || s.userIdChanged || s.lifetimeChanged) {
      return this.#update(s, s.id, s.token, now);
    }
    if (
      // Stryker disable next-line ConditionalExpression: a stored session always has its expiry; the test narrows the type
      s.expiresAt !== undefined &&
      this.#renewalDue(s, now, s.expiresAt)
    ) {
      const expiresAt = this.#expiryAt(s, now, s.absoluteExpiresAt);
      if (!(await this.store.touch(s.id, expiresAt))) {
        this.#forget(s);
        return null;
      }
      s.expiresAt = expiresAt;
      publishRenew(this.store, s.id, expiresAt);
      return this.#cookie(s, s.token, expiresAt);
    }
    return null;
  }

  /** A session without a stored record yet: new, regenerated, or destroyed. */
  async #commitNew(s: SessionState, now: number): Promise<CommitResult> {
    const from = s.rotatedFrom;
    // A rotation moves the session to a new token; it keeps its age and deadline.
    const createdAt = from ? s.createdAt : now;
    const absoluteExpiresAt = from
      ? s.absoluteExpiresAt
      : this.policy.deadline(createdAt, s.absoluteTimeoutMs);
    const expiresAt = this.#expiryAt(s, now, absoluteExpiresAt);
    if (from !== undefined) return this.#rotate(s, from, createdAt, absoluteExpiresAt, expiresAt);

    const wantsRecord = s.rotate || s.data.size > 0 || s.userId !== undefined;
    // Encode first: data that cannot be stored fails before any store call.
    const record = wantsRecord
      ? this.#form.record(s.data, this.#fields(s, { createdAt, absoluteExpiresAt, expiresAt }))
      : undefined;
    // After destroy(): the old record goes first, so a token known from before
    // is worthless even if the rest fails.
    for (const id of s.retired) await this.store.destroy(id);
    s.retired = [];

    if (record === undefined) {
      const destroyed = s.destroyed;
      s.destroyed = false;
      // Stryker disable next-line BooleanLiteral: a rotation always wants a record, so rotate is already false here
      s.rotate = false;
      return destroyed ? { clear: true } : null;
    }
    const created = await this.#createUnderNewToken(record);
    return this.#stored(s, created, createdAt, absoluteExpiresAt, expiresAt);
  }

  /**
   * `regenerate()`: the session moves to a new token, but only while the
   * record it was loaded from is live. The new record is written first; then
   * the old one is claimed with compare-and-set at the version this request
   * last saw (merging what other requests wrote meanwhile, and retrying), and
   * destroyed. A logout or `destroyForUser` that removed the old record
   * before the claim wins: the new record is removed and this request's
   * changes are dropped, exactly as `update` drops them. The new record holds
   * the login; the old token never does, and is worthless once claimed.
   */
  async #rotate(
    s: SessionState,
    from: { readonly id: string; readonly version: Version | undefined },
    createdAt: number,
    absoluteExpiresAt: number,
    expiresAt: number,
  ): Promise<CommitResult> {
    const fields = { createdAt, absoluteExpiresAt, expiresAt };
    let record = this.#form.record(s.data, this.#fields(s, fields));
    let version = from.version;
    let created: Created | undefined;
    for (let attempt = 0; ; attempt++) {
      const fresh = await this.#get(from.id);
      if (!fresh) return this.#abandon(s, created);
      if (fresh.version !== version) {
        // Others wrote to the old record since this request read it: carry
        // their keys over, as an update would.
        const read = this.#form.read(fresh);
        if (read) {
          s.data = this.#apply(read.data, s, true);
          if (!s.userIdChanged) s.userId = fresh.userId;
          record = this.#form.record(s.data, this.#fields(s, fields));
          if (created) {
            const rewritten = await this.store.update(created.id, record, {
              ifVersion: created.version,
            });
            // Only a logout of the user can remove a record nobody else has the token of.
            if (!rewritten.ok) return this.#abandon(s, created);
            created = { ...created, version: rewritten.version };
          }
        }
        version = fresh.version;
      }
      created ??= await this.#createUnderNewToken(record);
      const claim = await this.store.update(
        from.id,
        // Unreadable on purpose: the old token now loads a fresh, empty session.
        // Stryker disable next-line StringLiteral: any data the codec cannot read does, and the record is destroyed next
        { data: '', expiresAt: fresh.expiresAt },
        // Stryker disable next-line ConditionalExpression: a stored session always has its version, and `{ ifVersion: undefined }` means no condition
        version === undefined ? undefined : { ifVersion: version },
      );
      if (claim.ok) break;
      if (claim.reason === 'missing') return this.#abandon(s, created);
      if (attempt >= this.#retries) await this.store.destroy(created.id);
      await this.#retry(attempt, from.id);
    }
    for (const id of s.retired) await this.store.destroy(id);
    s.retired = [];
    publishRotate(this.store, from.id, created.id);
    return this.#stored(s, created, createdAt, absoluteExpiresAt, expiresAt);
  }

  /** The session ended under this request: removes what it wrote, drops its changes. */
  async #abandon(s: SessionState, created: Created | undefined): Promise<null> {
    if (created) await this.store.destroy(created.id);
    return this.#forget(s);
  }

  /** Creates `record` under a fresh token, drawing again on the (astronomically rare) collision. */
  async #createUnderNewToken(record: SessionRecord): Promise<Created> {
    for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
      const token = createToken(this.#tokenBytes);
      const id = sessionIdOf(token);
      const result = await this.store.create(id, record);
      if (result.ok) return { token, id, version: result.version };
      // 'exists': a collision of 256-bit tokens; draw again
    }
    throw new SessionConflictError(
      `${CREATE_ATTEMPTS} new tokens in a row met existing sessions; the random source is broken.`,
    );
  }

  /** The session is now stored as `created`: its state follows, and the cookie is set. */
  #stored(
    s: SessionState,
    created: Created,
    createdAt: number,
    absoluteExpiresAt: number,
    expiresAt: number,
  ): CommitResult {
    Object.assign(s, {
      token: created.token,
      id: created.id,
      version: created.version,
      baseline: new Map(s.data),
      userIdChanged: false,
      createdAt,
      absoluteExpiresAt,
      expiresAt,
      rotate: false,
      // Stryker disable next-line BooleanLiteral: read only when a commit has no record to write, which a stored session reaches only through destroy(), which sets it
      destroyed: false,
      rotatedFrom: undefined,
    } satisfies Partial<SessionState>);
    clearChanges(s);
    return this.#cookie(s, created.token, expiresAt);
  }

  /** Saves changed data with compare-and-set, merging with concurrent writers. */
  async #update(s: SessionState, id: string, token: string, now: number): Promise<CommitResult> {
    const expiresAt = this.#expiryAt(s, now, s.absoluteExpiresAt);
    let data = s.data;
    let userId = s.userId;
    let version = s.version;
    for (let attempt = 0; ; attempt++) {
      const record = this.#form.record(data, this.#fields(s, { expiresAt, userId }));
      const result = await this.store.update(
        id,
        record,
        // Stryker disable next-line ConditionalExpression: a stored session always has its version, and `{ ifVersion: undefined }` means no condition
        version === undefined ? undefined : { ifVersion: version },
      );
      if (result.ok) {
        Object.assign(s, {
          version: result.version,
          baseline: data,
          data: new Map(data),
          userId,
          userIdChanged: false,
          expiresAt,
        } satisfies Partial<SessionState>);
        clearChanges(s);
        return this.#cookie(s, token, expiresAt);
      }
      // 'missing': destroyed (a logout) or expired while this request ran.
      // Never write it back: a logout is final.
      if (result.reason !== 'conflict') return this.#forget(s);
      await this.#retry(attempt, id);
      const fresh = await this.#get(id);
      if (!fresh) return this.#forget(s);
      const read = this.#form.read(fresh);
      if (!read) {
        throw new SessionConflictError(
          'A concurrent request stored this session in a form this codec cannot read.',
        );
      }
      version = fresh.version;
      data = this.#apply(read.data, s, true);
      userId = s.userIdChanged ? s.userId : fresh.userId;
    }
  }

  /**
   * `base` with this request's changed keys applied on top: an `update()`
   * runs again on the value in `base`; a `set` or `delete` keeps its value
   * (last writer wins for its key) unless the `merge` hook decides.
   */
  #apply(base: Map<string, unknown>, s: SessionState, conflicted: boolean): Map<string, unknown> {
    const out = new Map(base);
    for (const key of s.changes) {
      const update = s.updates.get(key);
      let value = update ? update(base.get(key)) : s.data.get(key);
      if (!update && conflicted && this.#merge) {
        value = this.#merge({ key, base: s.baseline.get(key), ours: value, theirs: base.get(key) });
      }
      if (value === undefined) out.delete(key);
      else out.set(key, value);
    }
    return out;
  }

  /** The session vanished under this request: it becomes an empty new session. */
  #forget(s: SessionState): null {
    const now = this.#now();
    Object.assign(s, {
      token: undefined,
      id: undefined,
      version: undefined,
      baseline: new Map(),
      data: new Map(),
      userId: undefined,
      userIdChanged: false,
      createdAt: now,
      absoluteExpiresAt: this.policy.deadline(now),
      expiresAt: undefined,
      retired: [],
      rotate: false,
      destroyed: false,
      rotatedFrom: undefined,
      ...DEFAULT_LIFETIME,
    } satisfies Partial<SessionState>);
    clearChanges(s);
    return null;
  }

  /**
   * `session.takeFlash()`: a value this request set is taken locally; one
   * from the stored session is removed from the store first (compare-and-set),
   * so only one request ever gets it.
   */
  async #takeFlash(s: SessionState, key: string): Promise<unknown> {
    if (!s.data.has(key)) return undefined;
    const id = s.id ?? s.rotatedFrom?.id;
    if (id === undefined || s.changes.has(key) || !s.baseline.has(key)) {
      const value = s.data.get(key);
      s.data.delete(key);
      if (!s.baseline.has(key)) s.changes.delete(key);
      return value;
    }
    const taken = await this.#exclusive(id, () =>
      takeStoredFlash(this.store, this.#form, id, key, (attempt) => this.#retry(attempt, id)),
    );
    s.data.delete(key);
    s.baseline.delete(key);
    // Nobody else wrote since this request loaded: its base is the new record.
    const loaded = s.id === id ? s : s.rotatedFrom;
    if (loaded && taken.from !== undefined && loaded.version === taken.from) {
      loaded.version = taken.to;
    }
    return taken.value;
  }

  /** The fields of the record to write for `s`, with this commit's times. */
  #fields(
    s: SessionState,
    fields: Partial<RecordFields> & { readonly expiresAt: number },
  ): RecordFields {
    return {
      createdAt: s.createdAt,
      absoluteExpiresAt: s.absoluteExpiresAt,
      idleTimeoutMs: s.idleTimeoutMs,
      persistent: s.persistent,
      userId: s.userId,
      ...fields,
    };
  }

  #expiryAt(s: SessionState, now: number, absoluteExpiresAt: number): number {
    return this.policy.expiryAt(now, absoluteExpiresAt, this.policy.idleOf(s.idleTimeoutMs));
  }

  #renewalDue(s: SessionState, now: number, expiresAt: number): boolean {
    const idle = this.policy.idleOf(s.idleTimeoutMs);
    return this.policy.renewalDue(now, expiresAt, s.absoluteExpiresAt, idle);
  }

  /** What the cookie becomes: the token until `expiresAt`, or for the browser session. */
  #cookie(s: SessionState, token: string, expiresAt: number): CommitResult {
    return s.persistent ? { token, expiresAt } : { token, expiresAt, persistent: false };
  }

  /** After a conflict: a short random pause, or `SessionConflictError` once retries ran out. */
  /** After a lost compare-and-set on `id`: gives up past the retry budget, else backs off. */
  async #retry(attempt: number, id: string): Promise<void> {
    if (attempt >= this.#retries) {
      throw new SessionConflictError(
        `The session kept changing under concurrent requests; gave up after ${attempt + 1} attempts.`,
      );
    }
    publishRetry(this.store, id, attempt + 1);
    // Stryker disable next-line ArithmeticOperator,MethodExpression: the backoff only spreads retries out; no rule depends on its length
    await sleep(Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt));
  }

  #get(id: string): Promise<StoredSession | null> {
    return getReadable(this.store, id);
  }

  async #exclusive<T>(key: string | undefined, run: () => Promise<T>): Promise<T> {
    if (key === undefined) return run();
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const turn = previous.then(run);
    const tail = turn.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(key, tail);
    try {
      return await turn;
      // Stryker disable next-line BlockStatement,ConditionalExpression,EqualityOperator: frees the queue entry; a tail left behind is a settled promise, so only memory is at stake
    } finally {
      // Stryker disable next-line ConditionalExpression,EqualityOperator: as above
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    }
  }
}

// Stryker disable next-line BlockStatement: the backoff only spreads retries out; no rule depends on its length
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
