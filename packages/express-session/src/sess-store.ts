import {
  CorruptRecordError,
  createSessionCodec,
  InvalidOptionError,
  type SessionCodec,
  type SessionStore,
  type StoredSession,
  UnsupportedOperationError,
} from '@sess/core';
import {
  assertSessionId,
  isValidSessionId,
  type OptionKeys,
  rejectUnknownOptions,
} from '@sess/core/store-kit';
import { type SessionData, Store } from 'express-session';
import { answer, type Callback } from './callbacks.js';
import { Legacy, type LegacyStore } from './legacy.js';
import {
  type MigrateAllOptions,
  Migration,
  type MigrationProgress,
  type MigrationStats,
} from './migration.js';
import { integerOption } from './options.js';
import {
  expiryOf,
  isValidFormat,
  type PlainSession,
  plainSession,
  type RecordRules,
  readSession,
  toRecord,
} from './record.js';

export interface SessStoreOptions {
  /**
   * How long a session lives when its cookie has no expiry (no `maxAge`: a
   * browser-session cookie). Default 1 day, as connect-redis.
   */
  readonly defaultLifetimeMs?: number;
  /**
   * The owner of a session, for `destroyByUser()` and `listByUser()`; return
   * nothing for an anonymous session. With passport: `(s) => s.passport?.user`.
   */
  readonly userIdOf?: (session: SessionData) => string | number | null | undefined;
  /**
   * How session data becomes the stored string. Default: sess's tagged JSON
   * (`Date`, `Map`, `Set`, `BigInt` round-trip), bounded by the store's
   * `maxPayloadBytes`.
   */
  readonly codec?: SessionCodec;
  /** An express-session store to move sessions out of, as they are read. */
  readonly migrateFrom?: LegacyStore;
  /** Leave moved sessions in the legacy store too (for a rolling deploy). Default false. */
  readonly keepLegacy?: boolean;
  /** Bound on every legacy store call. Default 5000 ms. */
  readonly legacyTimeoutMs?: number;
  /**
   * Skip a `touch` that would move the stored expiry by less than this (as
   * connect-mongo's `touchAfter`): fewer writes, but an idle session may end
   * up to this much before its cookie does. Default 0: every touch is written.
   */
  readonly touchAfterMs?: number;
}

/** A session this store loaded or wrote: its sid, and its stored expiry when known. */
interface Known {
  readonly sid: string;
  expiresAt: number | undefined;
}

/** A session of one user, as `listByUser()` gives it. */
export interface UserSession {
  /** The session's sid. */
  readonly id: string;
  readonly session: SessionData;
}

const DAY = 86_400_000;
const PAGE = 100;
type Op = 'list' | 'count' | 'clear' | 'users';
type ExpressRequest = Parameters<Store['createSession']>[0];

/** Plain data read back is what express-session stored: its `SessionData`. */
function expressSession(session: PlainSession): SessionData {
  return session as unknown as SessionData;
}

const SESS_STORE_OPTIONS: OptionKeys<SessStoreOptions> = {
  defaultLifetimeMs: true,
  userIdOf: true,
  codec: true,
  migrateFrom: true,
  keepLegacy: true,
  legacyTimeoutMs: true,
  touchAfterMs: true,
};

/**
 * An express-session store over any sess store.
 *
 * Every session lives in `store` under its sid (when the sid passes sess's
 * id rules; any other sid reads as a miss), until its cookie's `expires`.
 * With `migrateFrom`, a sid that misses is read from that store, moved into
 * sess, and removed there; a logout removes it from both.
 *
 * Methods take a callback, as express-session calls them, or return a
 * promise when given none.
 *
 * @example
 * import session from 'express-session';
 * import { createClient } from 'redis';
 * import { RedisStore } from '@sess/redis';
 * import { SessStore } from '@sess/express-session';
 *
 * const client = createClient();
 * await client.connect();
 * app.use(session({
 *   store: new SessStore(new RedisStore({ client })),
 *   secret: process.env.SESSION_SECRET,
 *   resave: false,
 *   saveUninitialized: false,
 * }));
 */
export class SessStore extends Store {
  /** The sess store sessions live in. */
  readonly store: SessionStore;
  readonly #rules: RecordRules;
  readonly #migration: Migration | undefined;
  // Sessions this store loaded or wrote: saving one of them again is an
  // update, which never brings back a session destroyed meanwhile. The data
  // `get` returns is in here too, until express-session builds its Session.
  readonly #known = new WeakMap<object, Known>();
  readonly #touchAfterMs: number;

  constructor(store: SessionStore, options: SessStoreOptions = {}) {
    super();
    if (typeof store?.get !== 'function' || typeof store.capabilities !== 'object') {
      throw new InvalidOptionError(
        'SessStore needs a sess store (new SessStore(new RedisStore({ client }))).',
      );
    }
    rejectUnknownOptions(options, SESS_STORE_OPTIONS, 'SessStore');
    const defaultLifetimeMs = integerOption('defaultLifetimeMs', options.defaultLifetimeMs, DAY, 1);
    if (options.userIdOf !== undefined && typeof options.userIdOf !== 'function') {
      throw new InvalidOptionError('userIdOf must be a function of the session.');
    }
    const codec =
      options.codec ?? createSessionCodec({ maxBytes: store.capabilities.maxPayloadBytes });
    if (!isValidFormat(codec.format)) {
      throw new InvalidOptionError(
        'codec.format must be 1 to 64 characters of A-Z a-z 0-9 . _ / -.',
      );
    }
    this.#touchAfterMs = integerOption('touchAfterMs', options.touchAfterMs, 0, 0);
    this.store = store;
    this.#rules = {
      codec,
      defaultLifetimeMs,
      userIdOf: options.userIdOf as RecordRules['userIdOf'],
    };
    const legacy = options.migrateFrom;
    if (legacy !== undefined) {
      if (typeof legacy?.get !== 'function' || typeof legacy.destroy !== 'function') {
        throw new InvalidOptionError('migrateFrom must be an express-session store.');
      }
      const timeoutMs = integerOption('legacyTimeoutMs', options.legacyTimeoutMs, 5000, 1);
      this.#migration = new Migration(
        store,
        new Legacy(legacy, timeoutMs),
        this.#rules,
        options.keepLegacy === true,
      );
    }
  }

  /** The session under `sid`, or null (a sid outside sess's id rules is a miss). */
  get(sid: string): Promise<SessionData | null>;
  get(sid: string, callback: Callback<SessionData | null>): void;
  get(
    sid: string,
    callback?: Callback<SessionData | null>,
  ): Promise<SessionData | null> | undefined {
    return answer(this.#get(sid), callback);
  }

  /** Writes the session, until its cookie expires; a session destroyed meanwhile stays destroyed. */
  set(sid: string, session: SessionData): Promise<void>;
  set(sid: string, session: SessionData, callback: Callback<void>): void;
  set(sid: string, session: SessionData, callback?: Callback<void>): Promise<void> | undefined {
    return answer(this.#set(sid, session), callback);
  }

  /** Moves the session's expiry to its cookie's; its data stays as stored. */
  override touch(sid: string, session: SessionData): Promise<void>;
  override touch(sid: string, session: SessionData, callback: Callback<void>): void;
  override touch(
    sid: string,
    session: SessionData,
    callback?: Callback<void>,
  ): Promise<void> | undefined {
    return answer(this.#touch(sid, session), callback);
  }

  /** Ends the session, in the legacy store too while migrating. */
  destroy(sid: string): Promise<void>;
  destroy(sid: string, callback: Callback<void>): void;
  destroy(sid: string, callback?: Callback<void>): Promise<void> | undefined {
    return answer(this.#destroy(sid), callback);
  }

  /** Every live session in sess, each with its sid as `id` (the store's `list` capability). */
  override all(): Promise<SessionData[]>;
  override all(callback: Callback<SessionData[]>): void;
  override all(callback?: Callback<SessionData[]>): Promise<SessionData[]> | undefined {
    return answer(this.#all(), callback);
  }

  /** The sids of every live session in sess (the store's `list` capability). */
  ids(): Promise<string[]>;
  ids(callback: Callback<string[]>): void;
  ids(callback?: Callback<string[]>): Promise<string[]> | undefined {
    return answer(this.#ids(), callback);
  }

  /** How many live sessions sess holds (the store's `count` capability). */
  override length(): Promise<number>;
  override length(callback: Callback<number>): void;
  override length(callback?: Callback<number>): Promise<number> | undefined {
    return answer(this.#length(), callback);
  }

  /** Removes every session: the legacy store's too while migrating (the store's `clear` capability). */
  override clear(): Promise<void>;
  override clear(callback: Callback<void>): void;
  override clear(callback?: Callback<void>): Promise<void> | undefined {
    return answer(this.#clear(), callback);
  }

  /**
   * Ends every session of a user ("log out everywhere"), but `except`, and
   * returns how many. Needs `userIdOf` and a store with the `users`
   * capability. While migrating, it reaches the sessions already in sess.
   *
   * @example
   * await store.destroyByUser(req.user.id, { except: req.sessionID });
   */
  async destroyByUser(userId: string | number, options: { except?: string } = {}): Promise<number> {
    this.#require('users', 'destroyByUser');
    const user = String(userId);
    const { except } = options;
    if (except !== undefined) assertSessionId(except);
    let ended = 0;
    if (this.#migration) {
      // A legacy copy would come back on the next read: end these one by one, both stores.
      const ids = (await this.#collect(user)).filter((id) => id !== except);
      await Promise.all(ids.map((id) => this.#destroy(id)));
      ended = ids.length;
    }
    return ended + (await this.store.destroyByUser!(user, except === undefined ? {} : { except }));
  }

  /**
   * The live sessions of a user, with their sids. Needs `userIdOf` and a store
   * with the `users` and `list` capabilities.
   *
   * @example
   * const devices = await store.listByUser(req.user.id);
   */
  async listByUser(userId: string | number): Promise<UserSession[]> {
    this.#require('users', 'listByUser');
    this.#require('list', 'listByUser');
    return this.#read(await this.#collect(String(userId)));
  }

  /**
   * Moves every session left in the legacy store into sess, in the
   * background of a running app, and resolves with the totals. Sessions
   * already moved are skipped; failures are counted, not thrown: run it
   * again for them.
   *
   * @example
   * const report = await store.migrateAll({ onProgress: (p) => console.log(p) });
   * if (report.failed === 0) console.log('the legacy store can be retired');
   */
  async migrateAll(options?: MigrateAllOptions): Promise<MigrationProgress> {
    return this.#migrating('migrateAll').moveAll(options);
  }

  /**
   * Counters of the migration since this process started.
   *
   * @example
   * setInterval(() => console.log(store.migrationStats()), 60_000).unref();
   */
  migrationStats(): MigrationStats {
    return this.#migrating('migrationStats').stats();
  }

  /** Marks sessions express-session loads through this store (see `set`). */
  override createSession(
    req: ExpressRequest,
    data: SessionData,
  ): ReturnType<Store['createSession']> {
    const loaded = this.#known.get(data);
    const session = super.createSession(req, data);
    const expiresAt = loaded?.sid === req.sessionID ? loaded.expiresAt : undefined;
    this.#known.set(session, { sid: req.sessionID, expiresAt });
    return session;
  }

  async #get(sid: string): Promise<SessionData | null> {
    if (!isValidSessionId(sid)) return null;
    let stored: StoredSession | null;
    try {
      stored = await this.store.get(sid);
    } catch (error) {
      // An unreadable record is a miss, left in place; the legacy store is not asked.
      if (error instanceof CorruptRecordError) return null;
      throw error;
    }
    const session = stored
      ? readSession(stored.data, this.#rules.codec)
      : ((await this.#migration?.read(sid)) ?? null);
    if (!session) return null;
    this.#known.set(session, { sid, expiresAt: stored?.expiresAt });
    return expressSession(session);
  }

  async #set(sid: string, session: SessionData): Promise<void> {
    assertSessionId(sid);
    const now = Date.now();
    const record = toRecord(plainSession(session), now, this.#rules);
    if (record.expiresAt <= now) return this.#destroy(sid);
    // A session this store loaded or wrote is updated, never created again:
    // if it was destroyed meanwhile (a logout in a parallel request), it stays so.
    const known = this.#known.get(session)?.sid === sid;
    const written = known ? await this.store.update(sid, record) : await this.#upsert(sid, record);
    if (written.ok) this.#known.set(session, { sid, expiresAt: record.expiresAt });
  }

  async #upsert(sid: string, record: Parameters<SessionStore['create']>[1]) {
    const created = await this.store.create(sid, record);
    return created.ok ? created : this.store.update(sid, record);
  }

  async #touch(sid: string, session: SessionData): Promise<void> {
    if (!isValidSessionId(sid)) return;
    const now = Date.now();
    const expiresAt = expiryOf(
      session as unknown as PlainSession,
      now,
      this.#rules.defaultLifetimeMs,
    );
    if (expiresAt <= now) return this.#destroy(sid);
    const known = this.#known.get(session);
    const stored = known?.sid === sid ? known.expiresAt : undefined;
    // A touch that moves the expiry back (a shorter maxAge) is always written.
    const moved = stored === undefined ? Number.POSITIVE_INFINITY : expiresAt - stored;
    if (moved >= 0 && moved < this.#touchAfterMs) return;
    if ((await this.store.touch(sid, expiresAt)) && known?.sid === sid) known.expiresAt = expiresAt;
  }

  async #destroy(sid: string): Promise<void> {
    if (!isValidSessionId(sid)) return;
    // Legacy first: a move racing this destroy then sees it gone (see migration.ts).
    // The sess record goes even when the legacy store fails; the failure is still reported.
    let legacyFailure: { error: unknown } | undefined;
    await this.#migration?.legacy.destroy(sid).catch((error: unknown) => {
      legacyFailure = { error };
    });
    await this.store.destroy(sid);
    if (legacyFailure) throw legacyFailure.error;
  }

  async #ids(): Promise<string[]> {
    this.#require('list', 'ids');
    return this.#collect(undefined);
  }

  async #all(): Promise<SessionData[]> {
    this.#require('list', 'all');
    const found = await this.#read(await this.#collect(undefined));
    return found.map(({ id, session }) => ({ ...session, id }));
  }

  async #length(): Promise<number> {
    this.#require('count', 'length');
    return this.store.count!();
  }

  async #clear(): Promise<void> {
    this.#require('clear', 'clear');
    await this.#migration?.legacy.clear();
    await this.store.clear!();
  }

  /** Every id `list` pages through (of one user, when given), each once. */
  async #collect(userId: string | undefined): Promise<string[]> {
    const ids = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.store.list!({
        limit: PAGE,
        ...(cursor === undefined ? {} : { cursor }),
        ...(userId === undefined ? {} : { userId }),
      });
      for (const id of page.ids) ids.add(id);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return [...ids];
  }

  /** The sessions under these ids, a page at a time; those gone or unreadable are left out. */
  async #read(ids: string[]): Promise<UserSession[]> {
    const found: UserSession[] = [];
    for (let i = 0; i < ids.length; i += PAGE) {
      const page = ids.slice(i, i + PAGE);
      const stored = await Promise.all(page.map((id) => this.store.get(id)));
      stored.forEach((record, j) => {
        const session = record && readSession(record.data, this.#rules.codec);
        if (session) found.push({ id: page[j] as string, session: expressSession(session) });
      });
    }
    return found;
  }

  #require(op: Op, method: string): void {
    const { capabilities } = this.store;
    const name = this.store.constructor?.name || 'this store';
    if (!capabilities[op]) throw new UnsupportedOperationError(method, name);
    if (op === 'users' && this.#rules.userIdOf === undefined) {
      throw new InvalidOptionError(
        `${method}() needs the userIdOf option, to know whose sessions are whose.`,
      );
    }
  }

  #migrating(method: string): Migration {
    if (!this.#migration) {
      throw new InvalidOptionError(`${method}() needs the migrateFrom option.`);
    }
    return this.#migration;
  }
}
