import { PayloadTooLargeError, SessionDataError } from '../errors.js';
import { payloadBytes } from '../store-kit/validation.js';

/** The data of one session: string keys to values the codec can encode. */
export type SessionData = Record<string, unknown>;

/**
 * Turns session data into the string a store keeps, and back.
 *
 * `format` is written into every record (see the envelope), and handed back
 * to `decode`: a later version of a codec keeps reading the formats it wrote
 * before, so records outlive deploys.
 *
 * @example
 * // Plain JSON: fast, but a Date comes back as a string.
 * const jsonCodec: SessionCodec = {
 *   format: 'json',
 *   encode: (data) => JSON.stringify(data),
 *   decode: (payload) => JSON.parse(payload),
 * };
 * const manager = new SessionManager({ store, codec: jsonCodec });
 */
export interface SessionCodec {
  /** Names what `encode` writes: 1 to 64 characters of `A-Z a-z 0-9 . _ / -`. */
  readonly format: string;
  /** Encodes; throws `SessionDataError` for values it cannot restore. */
  encode(data: Readonly<SessionData>): string;
  /** Decodes a payload written in `format`; throws `SessionDataError` when it cannot. */
  decode(payload: string, format: string): SessionData;
}

export interface SessionCodecOptions {
  /** Largest encoded payload, in UTF-8 bytes. Default 64 KiB. */
  readonly maxBytes?: number;
  /** Deepest nesting of objects, arrays, maps and sets. Default 64. */
  readonly maxDepth?: number;
}

/** Keys that lead to a prototype when assigned or merged: refused both ways. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
]);

/** The format the default codec writes today. */
export const TAGGED_JSON_FORMAT = 'tjson/1';

const DEFAULT_MAX_BYTES = 64 * 1024;
const DEFAULT_MAX_DEPTH = 64;

/*
 * Tagged JSON. Plain objects, arrays, strings, booleans, null and finite
 * numbers are written as themselves, so typical session data costs one
 * JSON.stringify. Everything else becomes an object whose only tag key is "~":
 *
 *   { "~": "d", "v": 1700000000000 }        Date (v null when invalid)
 *   { "~": "b", "v": "123" }                BigInt
 *   { "~": "n", "v": "NaN" }                NaN, Infinity, -Infinity, -0
 *   { "~": "u" }                            undefined
 *   { "~": "m", "v": [[key, value], ...] }  Map
 *   { "~": "s", "v": [value, ...] }         Set
 *   { "~": "o", "v": [[key, value], ...] }  a plain object that has a "~" key itself
 *
 * The last one is the escape that keeps the format unambiguous.
 */
const TAG = '~';

type Path = string;

class Encoder {
  readonly #maxDepth: number;
  readonly #ancestors: object[] = [];

  constructor(maxDepth: number) {
    this.#maxDepth = maxDepth;
  }

  /** Returns `value` itself when it needs no tagging (no copy), else a JSON-safe copy. */
  value(value: unknown, depth: number, path: Path): unknown {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        return Number.isFinite(value) && !Object.is(value, -0)
          ? value
          : { [TAG]: 'n', v: Object.is(value, -0) ? '-0' : String(value) };
      case 'bigint':
        return { [TAG]: 'b', v: value.toString() };
      case 'undefined':
        return { [TAG]: 'u' };
      case 'object':
        return value === null ? null : this.#object(value, depth, path);
      default:
        throw new SessionDataError(
          `Session data under ${path} holds a ${typeof value}, which cannot be stored.`,
        );
    }
  }

  #object(value: object, depth: number, path: Path): unknown {
    if (depth >= this.#maxDepth) {
      throw new SessionDataError(
        `Session data under ${path} is nested deeper than ${this.#maxDepth} levels.`,
      );
    }
    if (this.#ancestors.includes(value)) {
      throw new SessionDataError(`Session data under ${path} contains a cycle.`);
    }
    this.#ancestors.push(value);
    try {
      const proto = Object.getPrototypeOf(value);
      if (proto === Array.prototype) return this.#array(value as unknown[], depth, path);
      if (proto === Object.prototype || proto === null) return this.#plain(value, depth, path);
      if (proto === Date.prototype) {
        const time = (value as Date).getTime();
        return { [TAG]: 'd', v: Number.isNaN(time) ? null : time };
      }
      if (proto === Map.prototype) {
        const entries: unknown[] = [];
        for (const [k, v] of value as Map<unknown, unknown>) {
          entries.push([this.value(k, depth + 1, path), this.value(v, depth + 1, path)]);
        }
        return { [TAG]: 'm', v: entries };
      }
      if (proto === Set.prototype) {
        const items: unknown[] = [];
        for (const v of value as Set<unknown>) items.push(this.value(v, depth + 1, path));
        return { [TAG]: 's', v: items };
      }
      const name = typeof proto?.constructor === 'function' ? proto.constructor.name : 'object';
      throw new SessionDataError(
        `Session data under ${path} holds a ${name || 'class'} instance, which the codec cannot restore. Store plain data instead.`,
      );
    } finally {
      this.#ancestors.pop();
    }
  }

  #array(value: unknown[], depth: number, path: Path): unknown[] {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const encoded = this.value(item, depth + 1, path);
      if (encoded !== item && out === undefined) out = value.slice(0, i);
      out?.push(encoded);
    }
    return out ?? value;
  }

  #plain(value: object, depth: number, path: Path): unknown {
    if (Object.getOwnPropertySymbols(value).length > 0) {
      throw new SessionDataError(
        `Session data under ${path} has symbol keys, which cannot be stored.`,
      );
    }
    const source = value as Record<string, unknown>;
    const keys = Object.keys(source);
    let out: Record<string, unknown> | undefined;
    let hasTagKey = false;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      if (FORBIDDEN_KEYS.has(key)) {
        throw new SessionDataError(
          `Session data under ${path} has a "${key}" key, which is refused (prototype pollution).`,
        );
      }
      if (key === TAG) hasTagKey = true;
      const item = source[key];
      const encoded = this.value(item, depth + 1, depth === 0 ? `key "${key}"` : path);
      if (encoded !== item && out === undefined) {
        out = {};
        for (let j = 0; j < i; j++) out[keys[j] as string] = source[keys[j] as string];
      }
      if (out !== undefined) out[key] = encoded;
    }
    const result = out ?? source;
    return hasTagKey ? { [TAG]: 'o', v: Object.entries(result) } : result;
  }
}

class Decoder {
  readonly #maxDepth: number;

  constructor(maxDepth: number) {
    this.#maxDepth = maxDepth;
  }

  value(value: unknown, depth: number): unknown {
    if (typeof value !== 'object' || value === null) return value;
    if (depth >= this.#maxDepth) throw unreadable(`nesting deeper than ${this.#maxDepth} levels`);
    if (Array.isArray(value)) return this.#array(value, depth);
    const record = value as Record<string, unknown>;
    return Object.hasOwn(record, TAG) ? this.#tagged(record, depth) : this.#plain(record, depth);
  }

  #array(value: unknown[], depth: number): unknown[] {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const decoded = this.value(item, depth + 1);
      if (decoded !== item && out === undefined) out = value.slice(0, i);
      out?.push(decoded);
    }
    return out ?? value;
  }

  #plain(value: Record<string, unknown>, depth: number): Record<string, unknown> {
    // JSON.parse makes every key an own data property (a "__proto__" key too,
    // without touching the prototype); refusing the dangerous names keeps the
    // object safe to merge or spread later.
    const keys = Object.keys(value);
    let out: Record<string, unknown> | undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      if (FORBIDDEN_KEYS.has(key)) throw unreadable(`a refused "${key}" key`);
      const item = value[key];
      const decoded = this.value(item, depth + 1);
      if (decoded !== item && out === undefined) {
        out = {};
        for (let j = 0; j < i; j++) out[keys[j] as string] = value[keys[j] as string];
      }
      if (out !== undefined) out[key] = decoded;
    }
    return out ?? value;
  }

  #tagged(value: Record<string, unknown>, depth: number): unknown {
    const v = value.v;
    switch (value[TAG]) {
      case 'd':
        if (v !== null && typeof v !== 'number') throw unreadable('a malformed Date');
        return new Date(v ?? Number.NaN);
      case 'b':
        if (typeof v !== 'string' || !/^-?\d{1,4096}$/.test(v))
          throw unreadable('a malformed BigInt');
        return BigInt(v);
      case 'n':
        if (v === 'NaN') return Number.NaN;
        if (v === 'Infinity') return Number.POSITIVE_INFINITY;
        if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
        if (v === '-0') return -0;
        throw unreadable('a malformed number');
      case 'u':
        return undefined;
      case 'm':
        return new Map(this.#pairs(v, depth, false));
      case 's':
        if (!Array.isArray(v)) throw unreadable('a malformed Set');
        return new Set(v.map((item) => this.value(item, depth + 1)));
      case 'o': {
        const out: Record<string, unknown> = {};
        for (const [key, item] of this.#pairs(v, depth, true)) out[key as string] = item;
        return out;
      }
      default:
        throw unreadable('an unknown tag');
    }
  }

  #pairs(v: unknown, depth: number, stringKeys: boolean): Array<[unknown, unknown]> {
    if (!Array.isArray(v)) throw unreadable('malformed entries');
    return v.map((pair: unknown) => {
      if (!Array.isArray(pair) || pair.length !== 2) throw unreadable('a malformed entry');
      const [key, item] = pair as [unknown, unknown];
      if (stringKeys) {
        if (typeof key !== 'string') throw unreadable('a non-string object key');
        if (FORBIDDEN_KEYS.has(key)) throw unreadable(`a refused "${key}" key`);
      }
      return [stringKeys ? key : this.value(key, depth + 1), this.value(item, depth + 1)];
    });
  }
}

function unreadable(what: string): SessionDataError {
  return new SessionDataError(`Stored session data cannot be decoded: it holds ${what}.`);
}

/**
 * The default codec: JSON that also round-trips `Date`, `BigInt`, `Map`,
 * `Set`, `undefined`, `NaN`, `±Infinity` and `-0`, with nested plain objects
 * and arrays. It refuses, with `SessionDataError`, what it could not give back
 * as it was: functions, symbols, cycles, and instances of other classes. It
 * refuses `__proto__`, `constructor` and `prototype` keys both ways, so decoded
 * data can be merged or spread without reaching a prototype. A payload over
 * `maxBytes` is refused with `PayloadTooLargeError`.
 *
 * Decoded plain objects keep the ordinary `Object.prototype` (so they behave
 * as app code expects); they are safe because the keys that could reach a
 * prototype never get in.
 *
 * @example
 * const codec = createSessionCodec({ maxBytes: 16 * 1024 });
 * const payload = codec.encode({ seen: new Date(), tags: new Set(['a']) });
 * codec.decode(payload, codec.format); // { seen: Date, tags: Set { 'a' } }
 */
export function createSessionCodec(options: SessionCodecOptions = {}): SessionCodec {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  return {
    format: TAGGED_JSON_FORMAT,
    encode(data) {
      const proto =
        typeof data === 'object' && data !== null ? Object.getPrototypeOf(data) : undefined;
      if (proto !== Object.prototype && proto !== null) {
        throw new SessionDataError('Session data must be a plain object of keys to values.');
      }
      const tree = new Encoder(maxDepth).value(data, 0, 'the session');
      const payload = JSON.stringify(tree);
      // A UTF-8 byte count is needed only when the string could be too large.
      if (payload.length * 3 > maxBytes) {
        const size = payloadBytes(payload);
        if (size > maxBytes) {
          throw new PayloadTooLargeError(size, maxBytes, { source: 'codec' });
        }
      }
      return payload;
    },
    decode(payload, format) {
      if (format !== TAGGED_JSON_FORMAT) {
        throw new SessionDataError(
          `This codec reads "${TAGGED_JSON_FORMAT}" records, not "${format}".`,
        );
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(payload);
      } catch (error) {
        throw new SessionDataError('Stored session data is not valid JSON.', { cause: error });
      }
      const data = new Decoder(maxDepth).value(parsed, 0);
      if (
        typeof data !== 'object' ||
        data === null ||
        Object.getPrototypeOf(data) !== Object.prototype
      ) {
        throw unreadable('something other than an object at the top');
      }
      return data as SessionData;
    },
  };
}

/** The codec `SessionManager` uses unless given another. */
export const defaultSessionCodec: SessionCodec = createSessionCodec();
