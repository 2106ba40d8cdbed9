import { EventEmitter } from 'node:events';
import {
  CorruptRecordError,
  type DestroyByUserOptions,
  InvalidOptionError,
  type ListOptions,
  type ListPage,
  type SessionRecord,
  type SessionStore,
  type StoreCapabilities,
  type StoredSession,
  StoreUnavailableError,
  type UpdateOptions,
  type WriteResult,
} from '@sess/core';
import {
  assertExpiry,
  assertSessionId,
  assertWrite,
  checkDestroyByUser,
  checkListOptions,
  checkUpdateOptions,
  isValidSessionId,
  type OptionKeys,
  refused,
  rejectUnknownOptions,
  resolveCommonOptions,
} from '@sess/core/store-kit';
import { decodeScanCursor, decodeUserCursor, encodeScanCursor } from './cursor.js';
import { evictionWarning, type RedisStoreWarning } from './eviction.js';
import { coverUntil, lastLiveMs } from './expiry.js';
import { groupBySlot, KeyLayout } from './keys.js';
import { Connection, linkTo, type NodeLink, type RedisClientLike, type RedisLink } from './link.js';
import { encodeRecord, encodeUserId, maxRecordBytes, pad16, VersionSource } from './record.js';
import {
  causeText,
  closedError,
  configValue,
  corrupt,
  nothing,
  strings,
  text,
  toSession,
  touched,
} from './replies.js';
import { COVER, CREATE, DESTROY_OWNED, type Script, TOUCH, UPDATE } from './scripts.js';

export interface RedisStoreOptions {
  /**
   * A connected node-redis client or cluster, or an ioredis `Redis` or
   * `Cluster`. The store never closes it.
   */
  readonly client: RedisClientLike;
  /**
   * The store's namespace: keys are `<prefix>|s|<id>` and `<prefix>|u|<user>`.
   * Any non-empty text without `|`. Default `sess`.
   */
  readonly prefix?: string;
  /** Bound on every Redis call, in ms. Default 2000. */
  readonly operationTimeoutMs?: number;
  /** Largest accepted payload in UTF-8 bytes. Default 1 MiB. */
  readonly maxPayloadBytes?: number;
}

export interface RedisStoreEvents {
  warning: [warning: RedisStoreWarning];
}

const REDIS_STORE_OPTIONS: OptionKeys<RedisStoreOptions> = {
  client: true,
  prefix: true,
  operationTimeoutMs: true,
  maxPayloadBytes: true,
};

const DEFAULT_PREFIX = 'sess';
// Redis strings hold 512 MB; anything near that is no session.
const MAX_PAYLOAD_LIMIT = 2 ** 28;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1_000;
/** SCAN calls one list() page may make before it returns what it has, with a cursor. */
const MAX_SCANS_PER_PAGE = 16;
/** Sessions destroyByUser checks at once. */
const BATCH = 100;

/**
 * A session store on Redis or Redis Cluster, through a node-redis or ioredis
 * client you bring.
 *
 * Each operation is one round trip and atomic: `get` is a GET, `create` a
 * `SET NX PXAT`, `update` and `touch` Lua scripts, `destroy` an UNLINK.
 * Records expire natively at their `expiresAt`. A per-user index serves
 * `list({ userId })` and `destroyByUser`.
 *
 * Events: `warning` (once) when the server's `maxmemory-policy` may evict
 * sessions; without a listener it goes to `process.emitWarning`.
 *
 * @example
 * import { createClient } from 'redis';
 * import { RedisStore } from '@sess/redis';
 *
 * const client = createClient({ url: 'redis://127.0.0.1:6379' });
 * client.on('error', (error) => console.error('redis', error.message));
 * await client.connect();
 * const store = new RedisStore({ client, prefix: 'myapp:sess:' });
 */
export class RedisStore extends EventEmitter<RedisStoreEvents> implements SessionStore {
  readonly capabilities: StoreCapabilities;

  readonly #link: RedisLink;
  readonly #keys: KeyLayout;
  readonly #versions = new VersionSource();
  readonly #connection: Connection;
  /** get reads up to this byte offset: a record too large for maxPayloadBytes shows without being fetched whole. */
  readonly #readEnd: string;
  readonly #toSession: (reply: unknown) => StoredSession | null;
  #closed = false;
  #policyCheck: 'todo' | 'running' | 'done' = 'todo';

  constructor(options: RedisStoreOptions) {
    super();
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionError('RedisStore takes an options object { client, prefix?, ... }.');
    }
    rejectUnknownOptions(options, REDIS_STORE_OPTIONS, 'RedisStore');
    const { prefix = DEFAULT_PREFIX } = options;
    const { operationTimeoutMs, maxPayloadBytes } = resolveCommonOptions(options, {
      maxPayloadLimit: MAX_PAYLOAD_LIMIT,
    });
    this.#keys = new KeyLayout(prefix);
    this.#link = linkTo(options.client);
    this.#connection = new Connection(this.#link, operationTimeoutMs);
    this.#readEnd = String(maxRecordBytes(maxPayloadBytes));
    this.#toSession = (reply) => toSession(reply, maxPayloadBytes);
    this.capabilities = Object.freeze({
      expiry: 'native',
      list: true,
      count: true,
      users: true,
      clear: true,
      ttlResolutionMs: 0,
      maxPayloadBytes,
      operationTimeoutMs,
    });
  }

  // The hot operations are plain functions, not async ones: each returns the
  // one promise #command makes, with the reply decoded in the same step.

  get(id: string): Promise<StoredSession | null> {
    try {
      assertSessionId(id);
    } catch (error) {
      return Promise.reject(error);
    }
    const key = this.#keys.record(id);
    return this.#command(
      ['GETRANGE', key, '0', this.#readEnd],
      key,
      'GETRANGE',
      this.#toSession,
      'bytes',
    );
  }

  create(id: string, record: SessionRecord): Promise<WriteResult> {
    const now = Date.now();
    try {
      assertWrite(id, record, this.#limits(now));
    } catch (error) {
      return Promise.reject(error);
    }
    const version = this.#versions.next();
    const key = this.#keys.record(id);
    const expiresAt = lastLiveMs(record.expiresAt);
    if (record.userId !== undefined) return this.#createOwned(id, record, version, now);
    const value = encodeRecord(version, record.expiresAt, undefined, '', record.data);
    const written: WriteResult = { ok: true, version };
    return this.#command(['SET', key, value, 'NX', 'PXAT', expiresAt], key, 'SET', (reply) =>
      reply === null
        ? // Taken: by a live record, or by one expired by this clock but not yet by Redis's.
          this.#eval(CREATE, [key], [value, expiresAt, String(now)], (created) =>
            created === 1 ? written : refused.exists,
          )
        : written,
    );
  }

  async #createOwned(
    id: string,
    record: SessionRecord,
    version: string,
    now: number,
  ): Promise<WriteResult> {
    const key = this.#keys.record(id);
    const user = encodeUserId(record.userId as string);
    const until = coverUntil(record.expiresAt, now);
    const value = encodeRecord(version, record.expiresAt, until, user, record.data);
    const index = this.#keys.userIndex(user);
    const args = [value, lastLiveMs(record.expiresAt), String(now), id, String(until)];
    const written = (reply: unknown): WriteResult =>
      reply === 1 ? { ok: true, version } : refused.exists;
    if (!this.#link.cluster) return this.#eval(CREATE, [key, index], args, written);
    // Cluster: the index lives in another slot. It is made to cover the
    // session first, so it never lacks a live one; a refused create leaves an
    // entry that list() and destroyByUser() see through and that expires.
    await this.#eval(COVER, [index], [id, String(until), String(now)], nothing);
    return this.#eval(CREATE, [key], args, written);
  }

  update(id: string, record: SessionRecord, options?: UpdateOptions): Promise<WriteResult> {
    const now = Date.now();
    let ifVersion: string | undefined;
    try {
      assertWrite(id, record, this.#limits(now));
      ifVersion = checkUpdateOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    const version = this.#versions.next();
    const key = this.#keys.record(id);
    const args = ['', lastLiveMs(record.expiresAt), String(now), ifVersion ?? ''];
    const outcome = (reply: unknown): WriteResult => {
      if (reply === 1) return { ok: true, version };
      if (reply === 0) return refused.missing;
      if (reply === 2) return refused.conflict;
      throw corrupt(reply);
    };
    if (record.userId === undefined) {
      args[0] = encodeRecord(version, record.expiresAt, undefined, '', record.data);
      return this.#eval(UPDATE, [key], args, outcome);
    }
    const user = encodeUserId(record.userId);
    const until = coverUntil(record.expiresAt, now);
    args[0] = encodeRecord(version, record.expiresAt, until, user, record.data);
    const index = this.#keys.userIndex(user);
    if (!this.#link.cluster) {
      return this.#eval(UPDATE, [key, index], [...args, id, String(until)], outcome);
    }
    // Cluster: cover first, as in create.
    return this.#eval(COVER, [index], [id, String(until), String(now)], nothing).then(() =>
      this.#eval(UPDATE, [key], args, outcome),
    );
  }

  touch(id: string, expiresAt: number): Promise<boolean> {
    const now = Date.now();
    try {
      assertSessionId(id);
      assertExpiry(expiresAt, now);
    } catch (error) {
      return Promise.reject(error);
    }
    const key = this.#keys.record(id);
    const args = [pad16(expiresAt), lastLiveMs(expiresAt), String(now)];
    return this.#eval(TOUCH, [key], args, (reply) => {
      const result = touched(reply);
      return typeof result === 'boolean'
        ? result
        : this.#touchCovered(id, expiresAt, now, args, result);
    });
  }

  /**
   * The touch script found that the session's user index entry ends before
   * the new expiry, and named the user: extend the entry first, then touch
   * with proof of it. Rare: entries reach well past their session's expiry
   * (see coverUntil). Repeated only if the session changes hands meanwhile.
   */
  async #touchCovered(
    id: string,
    expiresAt: number,
    now: number,
    args: string[],
    user: string,
  ): Promise<boolean> {
    const key = this.#keys.record(id);
    for (let attempt = 0; attempt < 3; attempt++) {
      const until = coverUntil(expiresAt, now);
      await this.#eval(
        COVER,
        [this.#keys.userIndex(user)],
        [id, String(until), String(now)],
        nothing,
      );
      args[3] = user;
      args[4] = pad16(until);
      const result = await this.#eval(TOUCH, [key], args, touched);
      if (typeof result === 'boolean') return result;
      user = result;
    }
    throw new StoreUnavailableError('touch() lost every race with concurrent updates; retry.');
  }

  destroy(id: string): Promise<void> {
    try {
      assertSessionId(id);
    } catch (error) {
      return Promise.reject(error);
    }
    const key = this.#keys.record(id);
    // The user index entry, if any, stays until it expires: list() and
    // destroyByUser() check every entry against its record.
    return this.#command(['UNLINK', key], key, 'UNLINK', nothing);
  }

  async list(options?: ListOptions): Promise<ListPage> {
    const limit = checkListOptions(options, { limit: DEFAULT_PAGE, maxLimit: MAX_PAGE });
    if (options?.userId !== undefined) return this.#listUser(options.userId, options.cursor, limit);
    const masters = await this.#masters();
    const position = decodeScanCursor(options?.cursor, masters.length);
    const seen = new Set(position.pending);
    const ids: string[] = [];
    let boost = 1;
    for (let scans = 0; ; ) {
      while (ids.length < limit && position.pending.length > 0) {
        ids.push(position.pending.shift() as string);
      }
      const node = masters[position.node];
      if (ids.length >= limit || node === undefined || scans++ >= MAX_SCANS_PER_PAGE) break;
      // Ask for about what the page still needs, so few ids spill into the
      // cursor; ask for more when the prefix is sparse on this server.
      const needed = limit - ids.length;
      const count = Math.min(4_096, Math.max(16, needed * boost));
      const [next, keys] = await this.#scan(node, position.scan, count, 'records');
      let found = 0;
      for (const key of keys) {
        const id = this.#keys.idOf(key);
        if (id !== undefined && !seen.has(id)) {
          seen.add(id);
          position.pending.push(id);
          found++;
        }
      }
      if (found < needed / 2) boost *= 4;
      if (next === '0') {
        position.node++;
        position.scan = '0';
      } else {
        position.scan = next;
      }
    }
    const more = position.pending.length > 0 || position.node < masters.length;
    return more ? { ids, cursor: encodeScanCursor(position) } : { ids };
  }

  async count(): Promise<number> {
    let total = 0;
    for (const node of await this.#masters()) {
      // A set, not a counter: SCAN may return a key twice if the server resizes its table.
      const ids = new Set<string>();
      let cursor = '0';
      do {
        const [next, keys] = await this.#scan(node, cursor, 1_000, 'records');
        for (const key of keys) {
          const id = this.#keys.idOf(key);
          if (id !== undefined) ids.add(id);
        }
        cursor = next;
      } while (cursor !== '0');
      total += ids.size;
    }
    return total;
  }

  async destroyByUser(userId: string, options?: DestroyByUserOptions): Promise<number> {
    const except = checkDestroyByUser(userId, options);
    const user = encodeUserId(userId);
    const index = this.#keys.userIndex(user);
    const members = await this.#command(['ZRANGE', index, '0', '-1'], index, 'ZRANGE', strings);
    const ids = members.filter((id) => id !== except && isValidSessionId(id));
    const now = String(Date.now());
    let destroyed = 0;
    for (let i = 0; i < ids.length; i += BATCH) {
      const replies = await Promise.all(
        ids.slice(i, i + BATCH).map((id) => {
          const key = this.#keys.record(id);
          // Standalone: the index entry goes in the same atomic step. Cluster:
          // it stays until it expires, and is seen through meanwhile.
          const keys = this.#link.cluster ? [key] : [key, index];
          return this.#eval(DESTROY_OWNED, keys, [user, now, id], (reply) => reply === 1);
        }),
      );
      for (const wasLive of replies) if (wasLive) destroyed++;
    }
    return destroyed;
  }

  async clear(): Promise<void> {
    for (const node of await this.#masters()) {
      // Records first: an index may outlive its records, never the reverse.
      for (const kind of ['records', 'indexes'] as const) {
        const ours = (key: string) =>
          kind === 'records' ? this.#keys.idOf(key) !== undefined : this.#keys.isUserIndex(key);
        let cursor = '0';
        do {
          const [next, keys] = await this.#scan(node, cursor, 1_000, kind);
          await this.#unlink(node, keys.filter(ours));
          cursor = next;
        } while (cursor !== '0');
      }
    }
  }

  /** Stops using the client (removing the listeners the store added); the client stays open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#connection.close();
  }

  // --- user index ---------------------------------------------------------

  async #listUser(userId: string, cursor: string | undefined, limit: number): Promise<ListPage> {
    const after = decodeUserCursor(cursor);
    const index = this.#keys.userIndexOf(userId);
    const now = Date.now();
    const members = await this.#command(
      ['ZRANGE', index, `(${now}`, '+inf', 'BYSCORE'],
      index,
      'ZRANGE',
      strings,
    );
    const candidates = members
      .filter((id) => isValidSessionId(id) && (after === undefined || id > after))
      .sort();
    const page = candidates.slice(0, limit);
    // Entries may outlive their session or its ownership: each is checked.
    const reads = await Promise.all(page.map((id) => this.#readQuietly(id)));
    const ids = page.filter((_, i) => reads[i]?.userId === userId);
    const last = page.at(-1);
    return candidates.length > limit && last !== undefined ? { ids, cursor: last } : { ids };
  }

  async #readQuietly(id: string): Promise<StoredSession | null> {
    try {
      return await this.get(id);
    } catch (error) {
      if (error instanceof CorruptRecordError) return null;
      throw error;
    }
  }

  // --- commands -------------------------------------------------------------

  #limits(now: number) {
    return { now, maxPayloadBytes: this.capabilities.maxPayloadBytes };
  }

  /** Runs a script by its SHA; sends the source when the server lacks it (NOSCRIPT). */
  #eval<T>(
    script: Script,
    keys: string[],
    args: string[],
    map: (reply: unknown) => T | PromiseLike<T>,
  ): Promise<T> {
    const command = ['EVALSHA', script.sha, String(keys.length), ...keys, ...args];
    return this.#command(command, keys[0] as string, `script ${script.name}`, map, script);
  }

  /** Sends one command (routed by `key`, or to `node`), bounded by operationTimeoutMs. */
  #command<T>(
    args: string[],
    target: string | NodeLink,
    what: string,
    map: (reply: unknown) => T | PromiseLike<T>,
    via?: Script | 'bytes',
  ): Promise<T> {
    if (this.#closed) return Promise.reject(closedError());
    this.#maybeCheckPolicy();
    return this.#connection.command(args, target, what, map, via);
  }

  #masters(): Promise<NodeLink[]> {
    if (this.#closed) return Promise.reject(closedError());
    return this.#connection.masters();
  }

  /**
   * One SCAN call for one kind of key: its exact pattern and its type
   * (records are strings, user indexes sorted sets), filtered on the server.
   * Callers still check each key's exact form: MATCH ends in a `*`.
   */
  async #scan(
    node: NodeLink,
    cursor: string,
    count: number,
    kind: 'records' | 'indexes',
  ): Promise<[string, string[]]> {
    const [pattern, type] =
      kind === 'records' ? [this.#keys.recordPattern, 'string'] : [this.#keys.indexPattern, 'zset'];
    const args = ['SCAN', cursor, 'MATCH', pattern, 'COUNT', String(count), 'TYPE', type];
    return this.#command(args, node, 'SCAN', (reply): [string, string[]] => {
      if (!Array.isArray(reply) || reply.length !== 2) {
        throw new StoreUnavailableError('Redis SCAN gave an unexpected reply.');
      }
      return [text(reply[0]), strings(reply[1])];
    });
  }

  /** UNLINK in batches; in a cluster one batch per slot, as multi-key commands require. */
  async #unlink(node: NodeLink, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    if (!this.#link.cluster) {
      await this.#command(['UNLINK', ...keys], node, 'UNLINK', nothing);
      return;
    }
    await Promise.all(
      groupBySlot(keys).map((batch) =>
        this.#command(['UNLINK', ...batch], batch[0] as string, 'UNLINK', nothing),
      ),
    );
  }

  // --- the server's settings ------------------------------------------------

  #maybeCheckPolicy(): void {
    if (this.#policyCheck !== 'todo') return;
    this.#policyCheck = 'running';
    this.checkMemoryPolicy().then(
      (warning) => {
        this.#policyCheck = 'done';
        if (warning === undefined) return;
        if (this.listenerCount('warning') > 0) this.emit('warning', warning);
        else process.emitWarning(warning.message, { code: warning.code });
      },
      (error: unknown) => {
        // Unreachable: try again on a later call. Refused (CONFIG is disabled
        // on many hosted services): there is nothing to learn.
        const refused = /ERR|NOPERM/.test(causeText(error));
        this.#policyCheck = refused ? 'done' : 'todo';
      },
    );
  }

  /**
   * Reads `maxmemory-policy` on every master and describes the risk if one
   * may evict sessions (every policy but `noeviction` may); users would be
   * logged out with no error. The store runs
   * this once by itself on first use and emits `warning`; call it at startup
   * to make a deployment check of it.
   *
   * @example
   * const risk = await store.checkMemoryPolicy();
   * if (risk) throw new Error(risk.message);
   */
  async checkMemoryPolicy(): Promise<RedisStoreWarning | undefined> {
    for (const node of await this.#masters()) {
      const policy = await this.#command(
        ['CONFIG', 'GET', 'maxmemory-policy'],
        node,
        'CONFIG GET',
        (reply) => configValue(reply, 'maxmemory-policy'),
      );
      const warning = evictionWarning(policy, node.name);
      if (warning) return warning;
    }
    return undefined;
  }
}
