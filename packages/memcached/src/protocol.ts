/**
 * The slice of memcached's meta protocol (memcached 1.6+) this package speaks:
 * `mg`, `ms`, `md`, `stats` and `stats settings`, one command per request, replies in
 * request order.
 *
 * Reply lines are `<CODE> <flag><token>...`; a `VA <size>` line is followed by
 * `<size>` bytes of value and CRLF. `STAT` lines run until `END`.
 */

const CRLF = Buffer.from('\r\n');

/** The codes a meta command can answer with. */
export type MetaCode = 'VA' | 'HD' | 'EN' | 'NS' | 'EX' | 'NF' | 'MN';

/** One parsed meta reply. */
export interface MetaReply {
  readonly code: MetaCode;
  /** Returned flags by letter: `c` (CAS), `f` (client flags), `t` (TTL), ... */
  readonly flags: ReadonlyMap<string, string>;
  /** Present for `VA` replies. */
  readonly value?: Buffer;
}

/** What a request waits for. */
export type ReplyKind = 'meta' | 'stats';

/** The server answered with `ERROR`, `CLIENT_ERROR` or `SERVER_ERROR`. */
export class ServerReplyError extends Error {
  /** `ERROR`, `CLIENT_ERROR` or `SERVER_ERROR`. */
  readonly kind: string;
  /** True when the connection may be out of step with the server afterwards. */
  readonly desync: boolean;

  constructor(kind: string, message: string) {
    super(message ? `${kind} ${message}` : kind);
    this.name = 'ServerReplyError';
    this.kind = kind;
    // A SERVER_ERROR is sent after the server has read (and dropped) the whole
    // command; after ERROR or CLIENT_ERROR it may still read our data line as
    // a command, so the connection can no longer be trusted.
    this.desync = kind !== 'SERVER_ERROR';
  }
}

/** `mg <key> <flags>` */
export function metaGet(key: string, flags: string): Buffer {
  return Buffer.from(`mg ${key} ${flags}\r\n`, 'latin1');
}

/** `ms <key> <size> <flags>` followed by the value. */
export function metaSet(key: string, value: Buffer, flags: string): Buffer {
  const head = Buffer.from(`ms ${key} ${value.length} ${flags}\r\n`, 'latin1');
  return Buffer.concat([head, value, CRLF], head.length + value.length + 2);
}

/** `md <key> <flags>` */
export function metaDelete(key: string, flags = ''): Buffer {
  return Buffer.from(flags ? `md ${key} ${flags}\r\n` : `md ${key}\r\n`, 'latin1');
}

export const STATS_SETTINGS = Buffer.from('stats settings\r\n', 'latin1');
export const STATS = Buffer.from('stats\r\n', 'latin1');

function parseFlags(tokens: string[], from: number): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = from; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (token.length > 0) flags.set(token[0] as string, token.slice(1));
  }
  return flags;
}

const META_CODES = new Set<string>(['VA', 'HD', 'EN', 'NS', 'EX', 'NF', 'MN']);

/**
 * Incremental reply parser. Feed it socket chunks; it calls `onReply` for
 * each complete reply, in order. The caller tells it what the request at the
 * head of the queue expects (`kindOfNext`), since `STAT`/`END` replies span
 * several lines.
 */
export class ReplyParser {
  readonly #kindOfNext: () => ReplyKind | undefined;
  readonly #onReply: (reply: MetaReply | Map<string, string> | ServerReplyError) => void;
  #buffer: Buffer = Buffer.alloc(0);
  // Chunks held back while a large value is still arriving, so a 1 MB value
  // is concatenated once rather than once per chunk.
  #held: Buffer[] = [];
  #heldBytes = 0;
  #need = 0;
  #stats: Map<string, string> | undefined;
  /** After a reply that breaks framing, nothing more is read until `reset()`. */
  #desynced = false;

  constructor(
    kindOfNext: () => ReplyKind | undefined,
    onReply: (reply: MetaReply | Map<string, string> | ServerReplyError) => void,
  ) {
    this.#kindOfNext = kindOfNext;
    this.#onReply = onReply;
  }

  /** Forgets any partial reply (after the connection was dropped). */
  reset(): void {
    this.#buffer = Buffer.alloc(0);
    this.#held = [];
    this.#heldBytes = 0;
    this.#need = 0;
    this.#stats = undefined;
    this.#desynced = false;
  }

  push(chunk: Buffer): void {
    if (this.#desynced) return;
    if (this.#need > 0) {
      this.#held.push(chunk);
      this.#heldBytes += chunk.length;
      if (this.#heldBytes < this.#need) return;
      this.#buffer = Buffer.concat([this.#buffer, ...this.#held]);
      this.#held = [];
      this.#heldBytes = 0;
      this.#need = 0;
    } else {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    }
    this.#drain();
  }

  /** Reports an error reply; true when it broke framing and the rest was dropped. */
  #fail(error: ServerReplyError): boolean {
    if (error.desync) {
      this.#desynced = true;
      this.#buffer = Buffer.alloc(0);
    }
    this.#onReply(error);
    return error.desync;
  }

  #drain(): void {
    let offset = 0;
    const buffer = this.#buffer;
    while (offset < buffer.length) {
      const end = buffer.indexOf(CRLF, offset);
      if (end < 0) break;
      const line = buffer.toString('latin1', offset, end);
      const tokens = line.split(' ');
      const code = tokens[0] as string;
      if (this.#stats !== undefined || (code === 'STAT' && this.#kindOfNext() === 'stats')) {
        this.#stats ??= new Map();
        offset = end + 2;
        if (code === 'STAT') {
          this.#stats.set(tokens[1] ?? '', tokens.slice(2).join(' '));
          continue;
        }
        if (code === 'END') {
          const stats = this.#stats;
          this.#stats = undefined;
          this.#onReply(stats);
          continue;
        }
        this.#stats = undefined;
        if (this.#fail(errorOf(code, tokens))) return;
        continue;
      }
      if (code === 'END' && this.#kindOfNext() === 'stats') {
        offset = end + 2;
        this.#onReply(new Map());
        continue;
      }
      if (code === 'VA') {
        const size = valueSize(tokens[1]);
        if (size === undefined) {
          // A size we cannot trust: nothing after this line can be framed.
          offset = end + 2;
          if (this.#fail(new ServerReplyError('ERROR', 'malformed VA size'))) return;
          continue;
        }
        const valueStart = end + 2;
        const valueEnd = valueStart + size;
        if (buffer.length < valueEnd + 2) {
          // Wait for the rest of the value, then parse this line again.
          this.#need = valueEnd + 2 - buffer.length;
          break;
        }
        offset = valueEnd + 2;
        this.#onReply({
          code: 'VA',
          flags: parseFlags(tokens, 2),
          value: buffer.subarray(valueStart, valueEnd),
        });
        continue;
      }
      offset = end + 2;
      if (META_CODES.has(code)) {
        this.#onReply({ code: code as MetaCode, flags: parseFlags(tokens, 1) });
      } else if (this.#fail(errorOf(code, tokens))) {
        return;
      }
    }
    this.#buffer = offset >= buffer.length ? Buffer.alloc(0) : buffer.subarray(offset);
  }
}

/** Largest value a VA line may announce: memcached's own ceiling for item_size_max is 1 GiB. */
const MAX_VALUE_BYTES = 1024 * 1024 * 1024;

function valueSize(token: string | undefined): number | undefined {
  if (token === undefined || !/^\d{1,10}$/.test(token)) return undefined;
  const size = Number(token);
  return size <= MAX_VALUE_BYTES ? size : undefined;
}

function errorOf(code: string, tokens: string[]): ServerReplyError {
  if (code === 'SERVER_ERROR' || code === 'CLIENT_ERROR') {
    return new ServerReplyError(code, tokens.slice(1).join(' '));
  }
  // `ERROR`, or a line we do not understand: the stream cannot be trusted.
  return new ServerReplyError('ERROR', code === 'ERROR' ? '' : 'unexpected reply');
}
