import { CorruptRecordError, type StoredSession, StoreUnavailableError } from '@sess/core';
import { asUnavailable } from '@sess/core/store-kit';
import { decodeRecord } from './record.js';

/**
 * Replies and errors as the clients give them, turned into values and typed
 * errors. node-redis and ioredis, RESP2 and RESP3, strings or Buffers: all
 * read the same here.
 */

/** A wrong type under one of our keys is a corrupt record; anything else is an outage. */
export function failure(error: unknown, what: string): Error {
  if (errorText(error).includes('WRONGTYPE')) {
    return new CorruptRecordError('A key of this store holds a value of another type.', {
      cause: error,
    });
  }
  return asUnavailable(error, `Redis ${what}`);
}

/** The message of whatever was thrown. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What every call on a closed store rejects with. */
export function closedError(): StoreUnavailableError {
  return new StoreUnavailableError('This RedisStore is closed.');
}

/**
 * A GETRANGE reply (bytes): the live record, or null. GETRANGE gives an empty
 * string for a missing key; the store never writes an empty value, so an
 * empty one is no record either.
 */
export function toSession(reply: unknown, maxDataBytes: number): StoredSession | null {
  if (reply === null || reply === undefined) return null;
  if (!Buffer.isBuffer(reply)) throw new StoreUnavailableError('Redis gave an unexpected reply.');
  if (reply.length === 0) return null;
  const record = decodeRecord(reply, maxDataBytes);
  // Redis expires the key at expiresAt by its own clock; this holds the rule
  // by the application's clock too.
  return record.expiresAt > Date.now() ? record : null;
}

/** The touch script's reply: done, missing, or the user whose index must cover more first. */
export function touched(reply: unknown): boolean | string {
  if (reply === 1) return true;
  if (reply === 0) return false;
  if (typeof reply === 'string' || Buffer.isBuffer(reply)) return text(reply);
  throw corrupt(reply);
}

/** For replies that carry nothing to return. */
export function nothing(): void {}

/** A script replied -1 (a record not in our format) or something no script replies. */
export function corrupt(reply: unknown): CorruptRecordError {
  return new CorruptRecordError(
    reply === -1
      ? 'A stored session is not in the @sess/redis format.'
      : 'Redis gave an unexpected reply to a @sess/redis script.',
  );
}

/** A bulk string reply as text (ioredis and node-redis may give Buffers when so configured). */
export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  throw new CorruptRecordError('Redis returned a value that is not a string.');
}

/** An array reply as text. */
export function strings(value: unknown): string[] {
  if (!Array.isArray(value)) throw new StoreUnavailableError('Redis gave an unexpected reply.');
  return value.map(text);
}

/** The message of an error's cause. */
export function causeText(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause instanceof Error ? cause.message : String(cause ?? '');
}

/** CONFIG GET replies as a flat array (RESP2) or a map (RESP3), by client. */
export function configValue(reply: unknown, name: string): string | undefined {
  if (Array.isArray(reply)) {
    const at = reply.findIndex((item) => text(item) === name);
    return at >= 0 && at + 1 < reply.length ? text(reply[at + 1]) : undefined;
  }
  if (reply instanceof Map) return reply.has(name) ? text(reply.get(name)) : undefined;
  if (typeof reply === 'object' && reply !== null && name in reply) {
    return text((reply as Record<string, unknown>)[name]);
  }
  return undefined;
}
