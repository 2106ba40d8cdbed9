import type { StoredSession } from '@sess/core';
import { CorruptRecordError } from '@sess/core';
import type { Dialect } from './dialect.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * How each dialect holds text that must round-trip exactly: PostgreSQL keeps
 * `data` and `user_id` as bytes, MySQL keeps `user_id` as bytes, SQLite keeps
 * both as text.
 */
export interface Encoding {
  data(data: string): unknown;
  userId(userId: string | undefined): unknown;
}

const asText: Encoding = {
  data: (data) => data,
  userId: (userId) => userId ?? null,
};

const userBytes = (userId: string | undefined) =>
  userId === undefined ? null : Buffer.from(userId, 'utf8');

export const ENCODINGS: Record<Dialect, Encoding> = {
  sqlite: asText,
  postgres: { data: (data) => Buffer.from(data, 'utf8'), userId: userBytes },
  mysql: { data: (data) => data, userId: userBytes },
};

/**
 * Turns a row `[data, expires_at, version, user_id]` into a record, or throws
 * `CorruptRecordError` when a column cannot be read back as written (a value
 * of the wrong type, bytes that are not UTF-8). The message never holds the
 * stored values.
 */
export function decodeRow(row: unknown[], dataIsBytes: boolean): StoredSession {
  const [data, expiresAt, version, userId] = row;
  const record = {
    data: dataIsBytes || typeof data === 'string' ? text(data, 'data') : notText('data'),
    expiresAt: integer(expiresAt),
    version: text(version, 'version'),
  };
  return userId === null || userId === undefined
    ? record
    : { ...record, userId: text(userId, 'user_id') };
}

function text(value: unknown, column: string): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return decode(value, column);
  return notText(column);
}

function notText(column: string): never {
  throw new CorruptRecordError(`The stored session's ${column} is not text; destroy the session.`);
}

function decode(bytes: Uint8Array, column: string): string {
  try {
    return UTF8.decode(bytes);
  } catch (error) {
    throw new CorruptRecordError(
      `The stored session's ${column} is not valid UTF-8; destroy the session.`,
      { cause: error },
    );
  }
}

function integer(value: unknown): number {
  const n =
    typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) {
    throw new CorruptRecordError(
      "The stored session's expires_at is not an integer; destroy the session.",
    );
  }
  return n;
}
