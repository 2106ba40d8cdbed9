import { Socket } from 'node:net';
import { type ConnectionOptions as TlsOptions, connect as tlsConnect } from 'node:tls';
import {
  type MetaReply,
  type ReplyKind,
  ReplyParser,
  ServerReplyError,
  STATS_SETTINGS,
} from './protocol.js';

/** How one connection behaves; filled in by the client. */
export interface ConnectionSettings {
  readonly connectTimeoutMs: number;
  /** A connection whose oldest request has had no reply for this long is dropped. */
  readonly replyTimeoutMs: number;
  /**
   * After a connection attempt that timed out or broke (not one the server's
   * host refused), requests fail at once for this long instead of dialling again.
   */
  readonly retryDelayMs: number;
  readonly tls?: TlsOptions;
}

/** A request the connection could not or would not send. */
export class ConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectionError';
  }
}

/** Raised before sending a value the server would refuse (and delete the old item for). */
export class ValueTooLargeError extends Error {
  readonly itemSizeMax: number;

  constructor(itemSizeMax: number) {
    super(`The item would exceed the server's item_size_max of ${itemSizeMax} bytes.`);
    this.name = 'ValueTooLargeError';
    this.itemSizeMax = itemSizeMax;
  }
}

type Reply = MetaReply | Map<string, string>;

function errorCode(error: unknown): unknown {
  return (error as { code?: unknown } | undefined)?.code;
}

function refused(label: string): Error {
  return Object.assign(new ConnectionError(`${label} refused the connection.`), {
    code: 'ECONNREFUSED',
  });
}

interface Pending {
  readonly payload: Buffer;
  readonly kind: ReplyKind;
  /** Item bytes this request stores (key + value), checked against item_size_max. */
  readonly itemBytes: number;
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: Error) => void;
  sentAt: number;
}

// Per-item bytes memcached 1.6 adds to key and value (item header, CAS, CRLF):
// measured as item_size_max - largest storable key + value.
const ITEM_OVERHEAD = 64;

/**
 * One TCP (or TLS) connection to one server. Requests are pipelined: written
 * as they come, answered in order. It connects on first use, reconnects on
 * the next request after a failure, and fails fast while the server is down.
 * Every failure rejects the affected requests; nothing is left unhandled.
 */
export class Connection {
  readonly #host: string;
  readonly #port: number;
  readonly #settings: ConnectionSettings;
  #socket: Socket | undefined;
  #ready = false;
  #closed = false;
  #failedAt = Number.NEGATIVE_INFINITY;
  #lastFailure: Error | undefined;
  /** Written, awaiting replies, oldest first (from `#head`). */
  #inflight: Pending[] = [];
  #head = 0;
  /** Waiting for the handshake to finish. */
  #queued: Pending[] = [];
  #corked = false;
  #watchdog: NodeJS.Timeout | undefined;
  /** The server's item_size_max, learned on connect. */
  #itemSizeMax = Number.POSITIVE_INFINITY;
  readonly #parser: ReplyParser;

  constructor(host: string, port: number, settings: ConnectionSettings) {
    this.#host = host;
    this.#port = port;
    this.#settings = settings;
    this.#parser = new ReplyParser(
      () => this.#inflight[this.#head]?.kind,
      (reply) => this.#settle(reply),
    );
  }

  /** The server's largest item, once known. */
  get itemSizeMax(): number {
    return this.#itemSizeMax;
  }

  /** Sends one command; resolves with its reply. `itemBytes` > 0 marks a store command. */
  request(payload: Buffer, kind: ReplyKind = 'meta', itemBytes = 0): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      if (this.#closed) {
        reject(new ConnectionError('The memcached client is closed.'));
        return;
      }
      const pending: Pending = { payload, kind, itemBytes, resolve, reject, sentAt: 0 };
      if (this.#ready) {
        this.#write(pending);
        return;
      }
      if (!this.#socket) {
        if (this.#backingOff()) {
          reject(
            new ConnectionError(`${this.#label()} is unreachable.`, { cause: this.#lastFailure }),
          );
          return;
        }
        this.#connect();
      }
      this.#queued.push(pending);
    });
  }

  /** Drops the connection and fails whatever is pending; later requests fail too. */
  close(): void {
    this.#closed = true;
    this.#drop(new ConnectionError('The memcached client was closed.'));
  }

  /**
   * True while requests should fail without dialling. A refused connection
   * (nothing listens: the server is down or restarting) is not waited out:
   * dialling again costs one round trip, so requests still fail fast, and the
   * first request after the server is back goes through. A dial that timed
   * out or broke would cost every request a full wait: that is backed off.
   */
  #backingOff(): boolean {
    if (errorCode(this.#lastFailure) === 'ECONNREFUSED') return false;
    return performance.now() - this.#failedAt < this.#settings.retryDelayMs;
  }

  #label(): string {
    return `memcached ${this.#host}:${this.#port}`;
  }

  #connect(): void {
    this.#lastFailure = undefined;
    const options = { host: this.#host, port: this.#port };
    const socket = this.#settings.tls
      ? tlsConnect({ ...this.#settings.tls, ...options })
      : new Socket().connect(options);
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    const connectTimer = setTimeout(() => {
      socket.destroy(new ConnectionError(`${this.#label()} did not accept a connection in time.`));
    }, this.#settings.connectTimeoutMs);
    connectTimer.unref();
    socket.once(this.#settings.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(connectTimer);
      // A dial to a local port nobody listens on can connect the socket to
      // itself (TCP simultaneous open): that is a refusal, not a server.
      if (socket.localPort === socket.remotePort && socket.localAddress === socket.remoteAddress) {
        socket.destroy(refused(this.#label()));
        return;
      }
      this.#handshake();
    });
    socket.on('data', (chunk: Buffer) => this.#parser.push(chunk));
    socket.on('error', (error) => {
      if (this.#socket === socket) this.#lastFailure = error;
    });
    socket.on('close', () => {
      clearTimeout(connectTimer);
      if (this.#socket !== socket) return;
      if (!this.#ready) this.#failedAt = performance.now();
      this.#drop(
        new ConnectionError(`Lost the connection to ${this.#label()}.`, {
          cause: this.#lastFailure,
        }),
      );
    });
  }

  // The first request on every connection asks for the server's item size
  // limit, so no write is sent before it is known.
  #handshake(): void {
    const settings: Pending = {
      payload: STATS_SETTINGS,
      kind: 'stats',
      itemBytes: 0,
      resolve: (reply) => {
        const stats = reply instanceof Map ? reply : undefined;
        const size = Number(stats?.get('item_size_max'));
        this.#itemSizeMax = Number.isSafeInteger(size) && size > 0 ? size : 1024 * 1024;
        this.#ready = true;
        this.#lastFailure = undefined;
        const queued = this.#queued;
        this.#queued = [];
        for (const pending of queued) this.#write(pending);
      },
      reject: (error) => this.#socket?.destroy(error),
      sentAt: 0,
    };
    this.#write(settings);
  }

  #write(pending: Pending): void {
    const socket = this.#socket;
    if (!socket) {
      pending.reject(new ConnectionError(`Lost the connection to ${this.#label()}.`));
      return;
    }
    if (pending.itemBytes > 0 && pending.itemBytes + ITEM_OVERHEAD > this.#itemSizeMax) {
      pending.reject(new ValueTooLargeError(this.#itemSizeMax));
      return;
    }
    pending.sentAt = performance.now();
    this.#inflight.push(pending);
    // Everything written in one tick leaves in one packet.
    if (!this.#corked) {
      this.#corked = true;
      socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        socket.uncork();
      });
    }
    socket.write(pending.payload);
    this.#armWatchdog();
  }

  #settle(reply: Reply | ServerReplyError): void {
    const pending = this.#inflight[this.#head];
    if (!pending) {
      this.#socket?.destroy(new ConnectionError(`${this.#label()} sent an unrequested reply.`));
      return;
    }
    this.#inflight[this.#head] = undefined as unknown as Pending;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#inflight.length) {
      this.#inflight = this.#inflight.slice(this.#head);
      this.#head = 0;
    }
    if (reply instanceof ServerReplyError) {
      pending.reject(reply);
      if (reply.desync) this.#socket?.destroy(reply);
      return;
    }
    pending.resolve(reply);
  }

  // A server that stops answering (hung, or a link that silently dropped) is
  // noticed here: the connection is dropped so its requests fail and the next
  // request dials again.
  #armWatchdog(): void {
    if (this.#watchdog) return;
    const check = () => {
      this.#watchdog = undefined;
      const oldest = this.#inflight[this.#head];
      if (!oldest) return;
      const waited = performance.now() - oldest.sentAt;
      if (waited >= this.#settings.replyTimeoutMs) {
        this.#socket?.destroy(
          new ConnectionError(
            `${this.#label()} sent no reply within ${this.#settings.replyTimeoutMs} ms.`,
          ),
        );
        return;
      }
      this.#watchdog = setTimeout(check, this.#settings.replyTimeoutMs - waited);
      this.#watchdog.unref();
    };
    this.#watchdog = setTimeout(check, this.#settings.replyTimeoutMs);
    this.#watchdog.unref();
  }

  #drop(error: Error): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#ready = false;
    this.#corked = false;
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    this.#parser.reset();
    const failed = [...this.#inflight.slice(this.#head), ...this.#queued];
    this.#inflight = [];
    this.#head = 0;
    this.#queued = [];
    socket?.destroy();
    for (const pending of failed) pending.reject(error);
  }
}
