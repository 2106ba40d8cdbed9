import {
  InvalidOptionError,
  PayloadTooLargeError,
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
  checkUpdateOptions,
  type OptionKeys,
  payloadBytes,
  refused,
  rejectUnknownOptions,
  resolveCommonOptions,
  withTimeout,
} from '@sess/core/store-kit';
import { CLIENT_OPTIONS, MemcachedClient, type MemcachedClientOptions } from './client.js';
import { ValueTooLargeError } from './connection.js';
import type { MemcachedDriver, MetaItem, StoreOptions } from './driver.js';
import { checkPrefix, DEFAULT_PREFIX } from './keys.js';
import {
  decodeRecord,
  encodeRecord,
  HEADER_RESERVE,
  MAX_USER_ID_BYTES,
  newVersion,
  RECORD_FLAGS,
  readHeader,
  touchLine,
  withExpiry,
} from './record.js';

interface CommonOptions {
  /** Prepended to every key; the store's namespace. 1–122 printable ASCII characters. Default `'sess:'`. */
  readonly prefix?: string;
  /** Bound on every store call, whatever it takes on the wire. Default 2000 ms. */
  readonly operationTimeoutMs?: number;
  /** The servers' item size limit (memcached `-I`), in bytes. Default 1 MiB, memcached's default. */
  readonly itemSizeMax?: number;
}

export type MemcachedStoreOptions = CommonOptions &
  (
    | {
        /** A client (or another `MemcachedDriver`) to share; the store never closes it. */
        readonly client: MemcachedDriver;
        readonly servers?: never;
      }
    | ({
        readonly client?: never;
      } & MemcachedClientOptions)
  );

const MEMCACHED_STORE_OPTIONS: OptionKeys<MemcachedStoreOptions> = {
  ...CLIENT_OPTIONS,
  client: true,
  prefix: true,
  operationTimeoutMs: true,
  itemSizeMax: true,
};

const DEFAULT_ITEM_SIZE_MAX = 1024 * 1024;
// memcached's per-item bytes besides key and value (see connection.ts).
const ITEM_OVERHEAD = 64;
const ID_MAX = 128;
// Read-then-compare-and-set loops retry when another write lands in between;
// each retry means some other write succeeded, so this is never reached in practice.
const MAX_ATTEMPTS = 64;
// Touch lines a record collects before a touch folds them into its header:
// about 30 bytes each, and one extra round trip per this many touches.
const MAX_TOUCH_LINES = 16;

const ok = (version: string): WriteResult => ({ ok: true, version });

function unsupported(operation: string): Promise<never> {
  return Promise.reject(new UnsupportedOperationError(operation, 'MemcachedStore'));
}

/**
 * A session store on memcached: one item per session, expired by memcached
 * itself, versions checked with compare-and-set. Runs on one server or on a
 * pool spread by a consistent-hash ring.
 *
 * Every expiry is sent as absolute Unix seconds (`ceil(expiresAt / 1000)`),
 * so lifetimes over 30 days work; the exact expiry is kept in the record and
 * checked on every read. Memcached cannot list keys, so `list`, `count`,
 * `clear` and per-user logout are not offered (see the README for why).
 *
 * @example
 * import { MemcachedClient, MemcachedStore } from '@sess/memcached';
 *
 * const client = new MemcachedClient({ servers: ['127.0.0.1:11211'] });
 * const store = new MemcachedStore({ client, prefix: 'myapp:sess:' });
 * await store.create('abc', { data: '{}', expiresAt: Date.now() + 3_600_000 });
 */
export class MemcachedStore implements SessionStore {
  readonly capabilities: StoreCapabilities;

  readonly #driver: MemcachedDriver;
  readonly #ownsDriver: boolean;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  #closed = false;

  constructor(options: MemcachedStoreOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionError('MemcachedStore needs options: { client } or { servers }.');
    }
    rejectUnknownOptions(options, MEMCACHED_STORE_OPTIONS, 'MemcachedStore');
    const { prefix = DEFAULT_PREFIX } = options;
    const itemSizeMax = options.itemSizeMax ?? DEFAULT_ITEM_SIZE_MAX;
    this.#prefix = checkPrefix(prefix);
    // Of the common options only the timeout applies: the payload limit follows
    // from itemSizeMax (below), and memcached keeps time itself.
    const { operationTimeoutMs } = resolveCommonOptions(options);
    this.#timeoutMs = operationTimeoutMs;
    // The largest data that fits one item with the longest key and user id.
    const maxPayloadBytes = itemSizeMax - this.#reservedBytes();
    if (!Number.isSafeInteger(itemSizeMax) || maxPayloadBytes < 1) {
      throw new InvalidOptionError(
        `itemSizeMax must be an integer above ${this.#reservedBytes()} bytes (memcached's -I).`,
      );
    }
    if (options.client !== undefined && options.servers !== undefined) {
      throw new InvalidOptionError('Give MemcachedStore either `client` or `servers`, not both.');
    }
    if (options.client !== undefined) {
      this.#driver = options.client;
      this.#ownsDriver = false;
    } else {
      const { prefix: _p, operationTimeoutMs: _t, itemSizeMax: _i, client: _c, ...rest } = options;
      this.#driver = new MemcachedClient({ replyTimeoutMs: operationTimeoutMs, ...rest });
      this.#ownsDriver = true;
    }
    this.capabilities = Object.freeze({
      expiry: 'native',
      list: false,
      count: false,
      users: false,
      clear: false,
      ttlResolutionMs: 1000,
      maxPayloadBytes,
      operationTimeoutMs,
    });
  }

  /** One round trip: `mg <key> v c f`. */
  async get(id: string): Promise<StoredSession | null> {
    this.#assertOpen();
    assertSessionId(id);
    const key = this.#prefix + id;
    return this.#bounded('get', async () => {
      const item = await this.#driver.get(key);
      if (!item) return null;
      const header = readHeader(item);
      // memcached's clock is whole seconds and may lag: the record's own expiry decides.
      if (header.expiresAt <= Date.now()) return null;
      return decodeRecord(item, this.capabilities.maxPayloadBytes, header);
    });
  }

  /**
   * One round trip (`ms ... ME`, add). When memcached still holds a record
   * that has expired by the exact clock, two more: read it, then replace it
   * with compare-and-set.
   */
  async create(id: string, record: SessionRecord): Promise<WriteResult> {
    this.#assertOpen();
    assertWrite(id, record, this.#limits());
    const key = this.#prefix + id;
    const version = newVersion();
    const value = encodeRecord(record, version);
    const options = storeOptions(record.expiresAt);
    return this.#bounded('create', () =>
      this.#sized(record, async () => {
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
          if (await this.#driver.add(key, value, options)) return ok(version);
          const item = await this.#driver.get(key);
          if (!item) continue;
          if (readHeader(item).expiresAt > Date.now()) return refused.exists;
          const outcome = await this.#driver.cas(key, value, { ...options, cas: item.cas });
          if (outcome === 'stored') return ok(version);
        }
        throw contention('create');
      }),
    );
  }

  /**
   * Two round trips: read the record (is it live? which version?), then
   * compare-and-set against the CAS token read. A touch or write landing in
   * between makes it read again.
   */
  async update(id: string, record: SessionRecord, options?: UpdateOptions): Promise<WriteResult> {
    this.#assertOpen();
    assertWrite(id, record, this.#limits());
    const ifVersion = checkUpdateOptions(options);
    const key = this.#prefix + id;
    const version = newVersion();
    const value = encodeRecord(record, version);
    const write = storeOptions(record.expiresAt);
    return this.#bounded('update', () =>
      this.#sized(record, async () => {
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
          const item = await this.#driver.get(key);
          if (!item) return refused.missing;
          const header = readHeader(item);
          if (header.expiresAt <= Date.now()) return refused.missing;
          if (ifVersion !== undefined && header.version !== ifVersion) return refused.conflict;
          const outcome = await this.#driver.cas(key, value, { ...write, cas: item.cas });
          if (outcome === 'stored') return ok(version);
          if (outcome === 'missing') return refused.missing;
        }
        throw contention('update');
      }),
    );
  }

  /**
   * One round trip: prepend a touch line (which counts only if the record
   * was live when it was sent) and read the record back while moving
   * memcached's expiry, both commands sent together. One more round trip
   * when the read shows the record had expired by its exact time (delete
   * it: the read moved memcached's expiry), and one for every
   * `MAX_TOUCH_LINES`th touch (fold the lines into the header). When another
   * write lands between the two commands, or the driver cannot prepend, it
   * reads the record and rewrites it with compare-and-set instead. See the
   * README.
   */
  async touch(id: string, expiresAt: number): Promise<boolean> {
    this.#assertOpen();
    assertSessionId(id);
    const now = Date.now();
    assertExpiry(expiresAt, now);
    const key = this.#prefix + id;
    const write = storeOptions(expiresAt);
    return this.#bounded('touch', async () => {
      if (this.#driver.prependAndTouch) {
        const touched = await this.#touchByPrepend(key, expiresAt, now, write);
        if (touched !== undefined) return touched;
      }
      return this.#touchByRewrite(key, expiresAt, write);
    });
  }
  /** One round trip: `md <key>`. */
  async destroy(id: string): Promise<void> {
    this.#assertOpen();
    assertSessionId(id);
    const key = this.#prefix + id;
    await this.#bounded('destroy', () => this.#driver.delete(key));
  }

  /** Not offered: memcached cannot enumerate keys. */
  list(): Promise<never> {
    return unsupported('list');
  }

  /** Not offered: memcached cannot count the keys of a prefix. */
  count(): Promise<never> {
    return unsupported('count');
  }

  /** Not offered: a per-user index in memcached can be evicted while its sessions live on. */
  destroyByUser(): Promise<never> {
    return unsupported('destroyByUser');
  }

  /** Not offered: memcached expires records itself. */
  clearExpired(): Promise<never> {
    return unsupported('clearExpired');
  }

  /** Not offered: emptying one prefix would need key listing; `flush_all` would empty everyone's. */
  clear(): Promise<never> {
    return unsupported('clear');
  }

  /** Closes the client if the store created it; a client passed in stays open. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsDriver) await this.#driver.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreUnavailableError('This MemcachedStore is closed.');
  }

  #limits() {
    return { now: Date.now(), maxPayloadBytes: this.capabilities.maxPayloadBytes };
  }

  /** Bytes of an item that are not data: longest key, item overhead, header, longest user id. */
  #reservedBytes(): number {
    return this.#prefix.length + ID_MAX + ITEM_OVERHEAD + HEADER_RESERVE + MAX_USER_ID_BYTES;
  }

  /** The one-round-trip touch; undefined when another write got in the way. */
  async #touchByPrepend(
    key: string,
    expiresAt: number,
    now: number,
    write: StoreOptions,
  ): Promise<boolean | undefined> {
    const line = touchLine(expiresAt, now);
    const item = await this.#driver.prependAndTouch?.(key, line, write.exptime);
    if (!item) return false;
    const header = readHeader(item);
    // Another line on top: a write landed between the prepend and the read
    // (or the prepend was refused), so memcached's expiry may not be ours.
    if (item.value.compare(line, 0, line.length, 0, line.length) !== 0) return undefined;
    if (header.expiresAt !== expiresAt) {
      // The record had expired by its exact time (memcached holds records a
      // little longer): the line changed nothing, but the read moved
      // memcached's expiry, so drop the record unless a write replaced it since.
      await this.#driver.delete(key, { cas: item.cas });
      return false;
    }
    if (header.touches >= MAX_TOUCH_LINES) {
      // Fold the lines into the header; a write landing first does it as well.
      await this.#casSized(
        key,
        withExpiry(item, header, expiresAt),
        { ...write, cas: item.cas },
        item,
      );
    }
    return true;
  }

  /** Reads the record, then rewrites it with the new expiry by compare-and-set. */
  async #touchByRewrite(key: string, expiresAt: number, write: StoreOptions): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const item = await this.#driver.get(key);
      if (!item) return false;
      const header = readHeader(item);
      if (header.expiresAt <= Date.now()) return false;
      const value = withExpiry(item, header, expiresAt);
      const outcome = await this.#casSized(key, value, { ...write, cas: item.cas }, item);
      if (outcome === 'stored') return true;
      if (outcome === 'missing') return false;
    }
    throw contention('touch');
  }

  #bounded<T>(what: string, run: () => Promise<T>): Promise<T> {
    return withTimeout(run(), this.#timeoutMs, `memcached ${what}`);
  }

  /**
   * Turns the client's refusal to send an item over the server's real
   * item_size_max (smaller than `itemSizeMax` said) into PayloadTooLargeError.
   * It is refused before sending because memcached deletes the old item when
   * it receives one too large.
   */
  async #sized<T>(record: SessionRecord, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof ValueTooLargeError) {
        const limit = Math.max(0, error.itemSizeMax - this.#reservedBytes());
        throw new PayloadTooLargeError(payloadBytes(record.data), limit, { cause: error });
      }
      throw error;
    }
  }

  async #casSized(
    key: string,
    value: Buffer,
    options: StoreOptions & { cas: string },
    item: MetaItem,
  ) {
    try {
      return await this.#driver.cas(key, value, options);
    } catch (error) {
      if (error instanceof ValueTooLargeError) {
        const record = decodeRecord(item, Number.POSITIVE_INFINITY);
        const limit = Math.max(0, error.itemSizeMax - this.#reservedBytes());
        throw new PayloadTooLargeError(payloadBytes(record.data), limit, { cause: error });
      }
      throw error;
    }
  }
}

/** Always absolute Unix seconds: a relative TTL over 30 days would be read as a 1970 date. */
function storeOptions(expiresAt: number): StoreOptions {
  return { exptime: Math.ceil(expiresAt / 1000), flags: RECORD_FLAGS };
}

function contention(what: string): StoreUnavailableError {
  return new StoreUnavailableError(
    `memcached ${what} kept racing other writes of the same session; try again.`,
  );
}
