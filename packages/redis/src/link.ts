import { InvalidOptionError, StoreUnavailableError } from '@sess/core';
import { withTimeout } from '@sess/core/store-kit';
import { Deadlines } from './deadlines.js';
import { errorText, failure } from './replies.js';
import type { Script } from './scripts.js';

/** Any function: a parameter list of `never` accepts every signature. */
type AnyMethod = (...args: never[]) => unknown;

/**
 * A Redis client the store accepts: a node-redis client (`createClient`) or
 * cluster (`createCluster`), or an ioredis `Redis` or `Cluster`. Typed by
 * shape, so every version and RESP setting of either library fits.
 */
export type RedisClientLike =
  | { sendCommand: AnyMethod; on: AnyMethod; removeListener: AnyMethod }
  | { call: AnyMethod; on: AnyMethod; removeListener: AnyMethod };

/** What the client says of its connection, as far as it can tell. */
export type LinkState = 'ready' | 'connecting' | 'down' | 'closed';

/** One server, for commands that are not routed by key (SCAN, CONFIG GET). */
export interface NodeLink {
  readonly name: string;
  send(args: string[]): Promise<unknown>;
}

/**
 * The one small interface the store speaks: every client is reduced to it.
 */
export interface RedisLink {
  readonly kind: 'node-redis' | 'node-redis cluster' | 'ioredis' | 'ioredis cluster';
  readonly cluster: boolean;
  /** Sends one command; in a cluster `key` (a key the command touches) routes it. */
  send(args: string[], key: string): Promise<unknown>;
  /** As `send`, with bulk string replies as Buffers: bytes as stored, to be checked, not text. */
  sendForBytes(args: string[], key: string): Promise<unknown>;
  /** Every master, sorted by address so a cursor can name one by position. */
  masters(): Promise<NodeLink[]>;
  state(): LinkState;
  /** The client itself, for its events. */
  readonly emitter: Emitter;
}

/** node-redis's command option that makes bulk strings (RESP type `$`) arrive as Buffers. */
const BYTES = { typeMapping: { 36: Buffer } } as const;
type NodeRedisOptions = typeof BYTES;

interface NodeRedisClient {
  sendCommand(args: string[], options?: NodeRedisOptions): Promise<unknown>;
  readonly isOpen: boolean;
  /** Absent on a client pool (`createClientPool`), whose clients reconnect on their own. */
  readonly isReady?: boolean;
}
interface NodeRedisCluster {
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean,
    args: string[],
    options?: NodeRedisOptions,
  ): Promise<unknown>;
  readonly isOpen: boolean;
  readonly masters: ReadonlyArray<{ address?: string; host?: string; port?: number }>;
  nodeClient(node: unknown): Promise<NodeRedisClient> | NodeRedisClient;
}
interface IoredisClient {
  call(command: string, ...args: string[]): Promise<unknown>;
  callBuffer(command: string, ...args: string[]): Promise<unknown>;
  readonly status: string;
  readonly options?: { keyPrefix?: string; host?: string; port?: number };
  nodes?(role: 'master'): IoredisClient[];
  connect?(): Promise<unknown>;
}

/**
 * Reduces a client to a `RedisLink`. ioredis is recognised first, by `call`:
 * it also has a `sendCommand`, with another meaning. A node-redis cluster's
 * `sendCommand` takes the routing key first.
 */
export function linkTo(client: unknown): RedisLink {
  const c = client as Record<string, unknown> | null;
  if (c === null || typeof c !== 'object' || typeof c.on !== 'function') {
    throw new InvalidOptionError(
      'client must be a node-redis client or cluster, or an ioredis Redis or Cluster instance.',
    );
  }
  if (typeof c.call === 'function') return ioredisLink(client as IoredisClient & Emitter);
  if (typeof c.getMasterNode === 'function') {
    // Its sendCommand takes (isReadonly, args): not one we can tell apart safely.
    throw new InvalidOptionError(
      'node-redis Sentinel clients are not supported yet; pass an ioredis client configured with sentinels.',
    );
  }
  if (typeof c.sendCommand === 'function') {
    return typeof c.nodeClient === 'function'
      ? nodeRedisClusterLink(client as NodeRedisCluster & Emitter)
      : nodeRedisLink(client as NodeRedisClient & Emitter);
  }
  throw new InvalidOptionError(
    'client has neither call() (ioredis) nor sendCommand() (node-redis); pass the client instance.',
  );
}

/** The event methods every supported client has (Node's EventEmitter). */
type Emitter = {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
};

/** A node-redis client, or a pool of them (same `sendCommand`). */
function nodeRedisLink(client: NodeRedisClient & Emitter): RedisLink {
  const node: NodeLink = { name: 'standalone', send: (args) => client.sendCommand(args) };
  return {
    kind: 'node-redis',
    cluster: false,
    send: (args) => client.sendCommand(args),
    sendForBytes: (args) => client.sendCommand(args, BYTES),
    masters: async () => [node],
    // While reconnecting node-redis is open but not ready, as it is while it
    // first connects; the store tells the two apart by the events it saw.
    state: () => {
      if (!client.isOpen) return 'closed';
      return client.isReady === false ? 'connecting' : 'ready';
    },
    emitter: client,
  };
}

function nodeRedisClusterLink(cluster: NodeRedisCluster & Emitter): RedisLink {
  return {
    kind: 'node-redis cluster',
    cluster: true,
    send: (args, key) => cluster.sendCommand(key, false, args),
    sendForBytes: (args, key) => cluster.sendCommand(key, false, args, BYTES),
    async masters() {
      const masters = [...cluster.masters].sort(byAddress);
      return Promise.all(
        masters.map(async (master) => {
          const client = await cluster.nodeClient(master);
          return { name: addressOf(master), send: (args: string[]) => client.sendCommand(args) };
        }),
      );
    },
    // Per-node outages are not visible here: the operation timeout bounds them.
    state: () => (cluster.isOpen ? 'ready' : 'closed'),
    emitter: cluster,
  };
}

function ioredisLink(client: IoredisClient & Emitter): RedisLink {
  if (client.options?.keyPrefix) {
    throw new InvalidOptionError(
      'The ioredis client has a keyPrefix; it does not apply to SCAN patterns. Use the store’s prefix option instead.',
    );
  }
  const send = (target: IoredisClient, args: string[]) =>
    target.call(args[0] as string, ...args.slice(1));
  const isCluster = typeof client.nodes === 'function';
  return {
    kind: isCluster ? 'ioredis cluster' : 'ioredis',
    cluster: isCluster,
    send: (args) => send(client, args),
    sendForBytes: (args) => client.callBuffer(args[0] as string, ...args.slice(1)),
    async masters() {
      // A lazy cluster client knows no node until it first connects.
      if (isCluster && client.status === 'wait') await client.connect?.();
      const nodes = isCluster ? (client.nodes?.('master') ?? []) : [client];
      return nodes
        .map((node) => ({
          name: addressOf(node.options ?? {}),
          send: (args: string[]) => send(node, args),
        }))
        .sort(byAddress);
    },
    state() {
      switch (client.status) {
        case 'ready':
        case 'wait': // lazyConnect: the first command connects
          return 'ready';
        case 'connecting':
        case 'connect':
          return 'connecting';
        case 'end':
          return 'closed';
        default: // reconnecting, close, disconnecting
          return 'down';
      }
    },
    emitter: client,
  };
}

function addressOf(node: { address?: string; host?: string; port?: number; name?: string }) {
  return node.name ?? node.address ?? `${node.host ?? ''}:${node.port ?? ''}`;
}

function byAddress(a: object, b: object): number {
  const [x, y] = [addressOf(a), addressOf(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The store's side of the client: every command bounded by the operation
 * timeout, and the connection's state as the client's events tell it, beyond
 * what its status shows (node-redis reads "connecting" both on its first
 * connection and while reconnecting after a failure). Listening also means
 * an 'error' event can never go unhandled (node-redis would throw it, and
 * stop reconnecting). Listeners the application added still get every
 * event; `close()` removes only these.
 */
export class Connection {
  readonly #link: RedisLink;
  readonly #timeoutMs: number;
  readonly #deadlines: Deadlines;
  readonly #detach: () => void;
  /** An error or a reconnect was seen since the client was last ready. */
  #down = false;
  #waiters: Array<(ready: boolean) => void> = [];

  constructor(link: RedisLink, timeoutMs: number) {
    this.#link = link;
    this.#timeoutMs = timeoutMs;
    this.#deadlines = new Deadlines(timeoutMs);
    const down = () => {
      this.#down = true;
    };
    const ready = () => {
      this.#down = false;
      this.#wake(true);
    };
    const failed = () => {
      down();
      // A first connection that fails does not leave callers waiting.
      this.#wake(false);
    };
    const listeners: Array<[string, () => void]> = [
      ['error', failed],
      ['reconnecting', down],
      ['end', failed],
      ['ready', ready],
    ];
    const emitter = link.emitter;
    for (const [event, listener] of listeners) emitter.on(event, listener);
    this.#detach = () => {
      for (const [event, listener] of listeners) emitter.removeListener(event, listener);
    };
  }

  /**
   * Sends one command (routed by `key`, or to `node`) within `timeoutMs`,
   * and maps its reply with `map` in the same step. A script is run by its
   * SHA, and by its source when the server lacks it; `'bytes'` asks for bulk
   * strings as Buffers. One promise per call: this is every operation's
   * path, so it stays lean.
   */
  command<T>(
    args: string[],
    target: string | NodeLink,
    what: string,
    map: (reply: unknown) => T | PromiseLike<T>,
    via?: Script | 'bytes',
    timeoutMs = this.#timeoutMs,
  ): Promise<T> {
    if (this.#link.state() !== 'ready') {
      return this.#whenReady(`Redis ${what}`, timeoutMs).then((remainingMs) =>
        this.command(args, target, what, map, via, remainingMs),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const deadline = this.#deadlines.add(timeoutMs, () => expire(reject, what, timeoutMs));
      const settle = (reply: unknown) => {
        this.#deadlines.settle(deadline);
        try {
          resolve(map(reply));
        } catch (error) {
          reject(error);
        }
      };
      const fail = (error: unknown) => {
        this.#deadlines.settle(deadline);
        reject(failure(error, what));
      };
      const sending = this.#send(args, target, via === 'bytes');
      if (via === undefined || via === 'bytes') {
        sending.then(settle, fail);
        return;
      }
      sending.then(settle, (error: unknown) => {
        // The server lost its script cache (restart, failover, SCRIPT
        // FLUSH): EVAL sends the source, and caches it again.
        if (!errorText(error).startsWith('NOSCRIPT')) return fail(error);
        this.#send(['EVAL', via.source, ...args.slice(2)], target, false).then(settle, fail);
      });
    });
  }

  /** Every master; an unknown topology or none reachable is an outage. */
  async masters(): Promise<NodeLink[]> {
    let masters: NodeLink[];
    try {
      masters = await withTimeout(this.#link.masters(), this.#timeoutMs, 'Redis cluster topology');
    } catch (error) {
      throw error instanceof StoreUnavailableError
        ? error
        : new StoreUnavailableError('Redis cluster topology is unknown.', { cause: error });
    }
    // A cluster client that lost every node knows no master: that is an outage, not an empty store.
    if (masters.length === 0) throw new StoreUnavailableError('No Redis master is reachable.');
    return masters;
  }

  /** Stops listening and releases every caller still waiting for the connection. */
  close(): void {
    this.#detach();
    this.#wake(false);
  }

  /** Hands a command to the client; a synchronous throw becomes a rejection. */
  #send(args: string[], target: string | NodeLink, bytes: boolean): Promise<unknown> {
    try {
      if (typeof target !== 'string') return target.send(args);
      return bytes ? this.#link.sendForBytes(args, target) : this.#link.send(args, target);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * For a client that is not ready: never queue into one that knows it is
   * offline, where the command would run whenever the server returns, long
   * after the caller gave up. A client still making its first connection is
   * waited for, within `timeoutMs`. Resolves with the time left of it.
   */
  #whenReady(what: string, timeoutMs: number): Promise<number> {
    if (this.#link.state() !== 'connecting' || this.#down) {
      return Promise.reject(
        new StoreUnavailableError(`${what}: the ${this.#link.kind} client is not connected.`),
      );
    }
    const deadline = Date.now() + timeoutMs;
    const ready = new Promise<boolean>((resolve) => this.#waiters.push(resolve));
    return withTimeout(ready, timeoutMs, what).then((isReady) => {
      if (!isReady) {
        throw new StoreUnavailableError(`${what}: the connection failed or the store closed.`);
      }
      return Math.max(1, deadline - Date.now());
    });
  }

  #wake(ready: boolean): void {
    for (const wake of this.#waiters.splice(0)) wake(ready);
  }
}

function expire(reject: (error: Error) => void, what: string, ms: number): void {
  reject(new StoreUnavailableError(`Redis ${what} did not answer within ${ms} ms.`));
}
