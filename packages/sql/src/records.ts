import type { StoredSession } from '@sess/core';
import { CorruptRecordError } from '@sess/core';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Turns a row `[data, expires_at, version, user_id]` into a record, or throws
 * `CorruptRecordError` when a column cannot be read back as written (a value
 * of the wrong type, bytes that are not UTF-8). The message never holds the
 * stored values.
 */
export function decodeRow(row: unknown[], dataIsBytes: boolean): StoredSession {
  const [data, expiresAt, version, userId] = row;
  // The read leaves out data over the store's limit (see buildStatements).
  if (data === null) {
    throw new CorruptRecordError(
      "The stored session's data is larger than this store accepts; destroy the session.",
    );
  }
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
