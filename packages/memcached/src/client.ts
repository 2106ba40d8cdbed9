import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { InvalidOptionError } from '@sess/core';
import { type OptionKeys, rejectUnknownOptions } from '@sess/core/store-kit';
import { Connection, type ConnectionSettings } from './connection.js';
import type { CasOutcome, MemcachedDriver, MetaItem, StoreOptions } from './driver.js';
import { type MetaReply, metaDelete, metaGet, metaSet, STATS, STATS_SETTINGS } from './protocol.js';
import { HashRing } from './ring.js';

export interface MemcachedClientOptions {
  /** `host:port` of each server (`[::1]:11211` for IPv6). Keys are spread over them by a consistent-hash ring. */
  readonly servers: readonly string[];
  /** Connections kept to each server; requests are pipelined on each. Default 1. */
  readonly connectionsPerServer?: number;
  /** Give up on a connection attempt after this long. Default 1000 ms. */
  readonly connectTimeoutMs?: number;
  /** Drop a connection whose oldest request has had no reply for this long. Default 2000 ms. */
  readonly replyTimeoutMs?: number;
  /** After a failed connection attempt, fail requests to that server at once for this long. Default 100 ms. */
  readonly retryDelayMs?: number;
  /** Connect with TLS (memcached built with TLS, started with `-Z`). */
  readonly tls?: TlsOptions;
}

export const CLIENT_OPTIONS: OptionKeys<MemcachedClientOptions> = {
  servers: true,
  connectionsPerServer: true,
  connectTimeoutMs: true,
  replyTimeoutMs: true,
  retryDelayMs: true,
  tls: true,
};

// Printable ASCII without space: what memcached accepts in a key, at most 250 bytes.
const VALID_KEY = /^[\x21-\x7e]{1,250}$/;

function checkKey(key: string): void {
  if (typeof key !== 'string' || !VALID_KEY.test(key)) {
    throw new InvalidOptionError(
      'memcached keys are 1 to 250 bytes of printable ASCII without spaces.',
    );
  }
}

function parseServer(server: unknown): { host: string; port: number; label: string } {
  const match =
    typeof server === 'string' ? /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(server) : null;
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new InvalidOptionError(
      `memcached servers are given as "host:port" (or "[v6]:port"); got ${JSON.stringify(server)}.`,
    );
  }
  return { host, port, label: `${host}:${port}` };
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const resolved = value ?? fallback;
  if (!Number.isFinite(resolved) || resolved <= 0) {
    throw new InvalidOptionError(`${name} must be a positive number.`);
  }
  return resolved;
}

function expectMeta(reply: MetaReply | Map<string, string>): MetaReply {
  if (reply instanceof Map) throw new Error('memcached answered a meta command with stats.');
  return reply;
}

function unexpected(reply: MetaReply, what: string): Error {
  return new Error(`memcached answered ${what} with an unexpected ${reply.code}.`);
}

// Every value that goes into a command line is checked, so none can end the
// line early and smuggle in a command of its own.
function checkExptime(exptime: unknown): number {
  if (typeof exptime !== 'number' || !Number.isSafeInteger(exptime) || exptime < -1) {
    throw new InvalidOptionError(
      'exptime must be an integer: absolute Unix seconds, 0 for none, or -1 for expired.',
    );
  }
  return exptime;
}

function checkFlags(flags: unknown): number {
  if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < 0 || flags > 0xffff_ffff) {
    throw new InvalidOptionError('flags must be an integer from 0 to 2^32 - 1.');
  }
  return flags;
}

function checkCas(cas: unknown): string {
  if (typeof cas !== 'string' || !/^\d{1,20}$/.test(cas)) {
    throw new InvalidOptionError('A CAS token is the decimal number a read returned.');
  }
  return cas;
}

/** The item of an `mg ... v c f` reply, or null on a miss. */
function itemOf(reply: MetaReply): MetaItem | null {
  if (reply.code === 'EN') return null;
  if (reply.code !== 'VA' || !reply.value) throw unexpected(reply, 'mg');
  return {
    value: reply.value,
    cas: reply.flags.get('c') ?? '0',
    flags: Number(reply.flags.get('f') ?? 0),
  };
}

function flagsString(options: StoreOptions): string {
  return `T${checkExptime(options?.exptime)} F${checkFlags(options?.flags)}`;
}

/**
 * A small memcached client speaking the meta protocol (memcached 1.6 or
 * later) over `node:net`, for one server or a pool spread by a ketama-style
 * consistent-hash ring. A key always goes to the same server; when that
 * server is down its requests fail at once while the others keep serving.
 *
 * It is what `MemcachedStore` runs on, and is exported so one set of
 * connections can be shared by several stores (a store handed a client never
 * closes it).
 *
 * @example
 * const client = new MemcachedClient({ servers: ['127.0.0.1:11211'] });
 * await client.set('greeting', Buffer.from('hi'), { exptime: Math.ceil(Date.now() / 1000) + 60, flags: 0 });
 * (await client.get('greeting'))?.value.toString(); // 'hi'
 * await client.close();
 */
export class MemcachedClient implements MemcachedDriver {
  readonly #servers: ReadonlyArray<{ label: string; connections: Connection[] }>;
  readonly #ring: HashRing;
  #next = 0;
  #closed = false;

  constructor(options: MemcachedClientOptions) {
    const servers = options?.servers;
    if (!Array.isArray(servers) || servers.length === 0) {
      throw new InvalidOptionError('MemcachedClient needs `servers`: a list of "host:port".');
    }
    rejectUnknownOptions(options, CLIENT_OPTIONS, 'MemcachedClient');
    const perServer = positive(options.connectionsPerServer, 1, 'connectionsPerServer');
    if (!Number.isInteger(perServer) || perServer > 64) {
      throw new InvalidOptionError('connectionsPerServer must be an integer from 1 to 64.');
    }
    const settings: ConnectionSettings = {
      connectTimeoutMs: positive(options.connectTimeoutMs, 1000, 'connectTimeoutMs'),
      replyTimeoutMs: positive(options.replyTimeoutMs, 2000, 'replyTimeoutMs'),
      retryDelayMs: positive(options.retryDelayMs, 100, 'retryDelayMs'),
      ...(options.tls ? { tls: options.tls } : {}),
    };
    const parsed = servers.map(parseServer);
    this.#ring = (() => {
      try {
        return new HashRing(parsed.map((server) => server.label));
      } catch (error) {
        throw new InvalidOptionError(`Invalid memcached servers: ${(error as Error).message}`);
      }
    })();
    this.#servers = parsed.map(({ host, port, label }) => ({
      label,
      connections: Array.from({ length: perServer }, () => new Connection(host, port, settings)),
    }));
  }

  /** The `host:port` that owns `key`. */
  serverFor(key: string): string {
    return this.#servers[this.#ring.locate(key)]?.label ?? '';
  }

  /** The owning server's item_size_max in bytes, once a connection to it has been made. */
  itemSizeMax(key: string): number {
    return this.#connection(key).itemSizeMax;
  }

  async get(key: string): Promise<MetaItem | null> {
    checkKey(key);
    return itemOf(expectMeta(await this.#connection(key).request(metaGet(key, 'v c f'))));
  }

  /**
   * `ms <key> <n> MP` (prepend `head`) and `mg <key> T<exptime> v c f`, written
   * together on one connection: one round trip. The item as the read found
   * it, or null on a miss.
   */
  async prependAndTouch(key: string, head: Buffer, exptime: number): Promise<MetaItem | null> {
    checkKey(key);
    if (!Buffer.isBuffer(head)) throw new InvalidOptionError('The value must be a Buffer.');
    const read = metaGet(key, `T${checkExptime(exptime)} v c f`);
    const connection = this.#connection(key);
    const [prepended, item] = await Promise.all([
      connection.request(metaSet(key, head, 'MP'), 'meta', Buffer.byteLength(key) + head.length),
      connection.request(read),
    ]);
    const stored = expectMeta(prepended);
    // NS: no item, or one the prepend would grow past the server's limit.
    if (stored.code !== 'HD' && stored.code !== 'NS') throw unexpected(stored, 'ms (prepend)');
    return itemOf(expectMeta(item));
  }

  /** Stores unconditionally. */
  async set(key: string, value: Buffer, options: StoreOptions): Promise<void> {
    const reply = await this.#store(key, value, `${flagsString(options)} MS`);
    if (reply.code !== 'HD') throw unexpected(reply, 'ms');
  }

  async add(key: string, value: Buffer, options: StoreOptions): Promise<boolean> {
    const reply = await this.#store(key, value, `${flagsString(options)} ME`);
    if (reply.code === 'HD') return true;
    if (reply.code === 'NS') return false;
    throw unexpected(reply, 'ms (add)');
  }

  async cas(
    key: string,
    value: Buffer,
    options: StoreOptions & { readonly cas: string },
  ): Promise<CasOutcome> {
    const cas = checkCas(options?.cas);
    const reply = await this.#store(key, value, `${flagsString(options)} C${cas}`);
    if (reply.code === 'HD') return 'stored';
    if (reply.code === 'EX') return 'exists';
    if (reply.code === 'NF') return 'missing';
    throw unexpected(reply, 'ms (cas)');
  }

  /** Moves an item's expiry without reading or rewriting it; false when there is no item. */
  async touch(key: string, exptime: number): Promise<boolean> {
    checkKey(key);
    const flags = `T${checkExptime(exptime)}`;
    const reply = expectMeta(await this.#connection(key).request(metaGet(key, flags)));
    if (reply.code === 'HD') return true;
    if (reply.code === 'EN') return false;
    throw unexpected(reply, 'mg (touch)');
  }

  /** The item's remaining lifetime in whole seconds by the server's clock (-1: none), or null. */
  async ttl(key: string): Promise<number | null> {
    checkKey(key);
    const reply = expectMeta(await this.#connection(key).request(metaGet(key, 't')));
    if (reply.code === 'EN') return null;
    if (reply.code !== 'HD') throw unexpected(reply, 'mg (ttl)');
    return Number(reply.flags.get('t'));
  }

  async delete(key: string, options?: { readonly cas: string }): Promise<boolean> {
    checkKey(key);
    const flags = options === undefined ? '' : `C${checkCas(options.cas)}`;
    const reply = expectMeta(await this.#connection(key).request(metaDelete(key, flags)));
    if (reply.code === 'HD') return true;
    if (reply.code === 'NF' || reply.code === 'EX') return false;
    throw unexpected(reply, 'md');
  }

  /**
   * One server's `stats` (its clock is `time`, its item count `curr_items`),
   * or with `'settings'` its `stats settings` (`item_size_max`), by name.
   * `server` is a `host:port` as given in `servers`.
   *
   * @example
   * const settings = await client.stats('127.0.0.1:11211', 'settings');
   * Number(settings.get('item_size_max')); // 1048576
   */
  async stats(server: string, group?: 'settings'): Promise<ReadonlyMap<string, string>> {
    const label = parseServer(server).label;
    const connection = this.#servers.find((entry) => entry.label === label)?.connections[0];
    if (!connection) {
      throw new InvalidOptionError('stats() takes one of the servers the client was given.');
    }
    const reply = await connection.request(group === 'settings' ? STATS_SETTINGS : STATS, 'stats');
    if (!(reply instanceof Map)) throw new Error('memcached answered stats with a meta reply.');
    return reply;
  }

  /** Closes every connection; pending requests fail. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const server of this.#servers)
      for (const connection of server.connections) connection.close();
  }

  async #store(key: string, value: Buffer, flags: string): Promise<MetaReply> {
    checkKey(key);
    // The byte count goes on the command line: a string's length is not its size.
    if (!Buffer.isBuffer(value)) throw new InvalidOptionError('The value must be a Buffer.');
    const payload = metaSet(key, value, flags);
    return expectMeta(
      await this.#connection(key).request(payload, 'meta', Buffer.byteLength(key) + value.length),
    );
  }

  #connection(key: string): Connection {
    const { connections } = this.#servers[this.#ring.locate(key)] as { connections: Connection[] };
    if (connections.length === 1) return connections[0] as Connection;
    this.#next = (this.#next + 1) % connections.length;
    return connections[this.#next] as Connection;
  }
}
