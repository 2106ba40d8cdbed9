import { SchemaMissingError } from '@sess/core';
import { asUnavailable } from '@sess/core/store-kit';
import type { Dialect } from './dialect.js';

/**
 * A driver's failure as the library's typed error: a missing sessions table
 * is `SchemaMissingError` (retrying cannot help: the schema must be
 * created), anything else `StoreUnavailableError`.
 */
export function asStoreError(error: unknown, what: string, dialect: Dialect): Error {
  if (isMissingTable(error, dialect)) {
    return new SchemaMissingError(
      `${what} failed: the sessions table does not exist. Create it with store.ensureSchema() at start-up, or run sessionsMigration() with your migrations.`,
      { cause: error },
    );
  }
  return asUnavailable(error, what);
}

/** The driver's own signal for "no such table", per dialect. */
function isMissingTable(error: unknown, dialect: Dialect): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errno, message } = error as { code?: unknown; errno?: unknown; message?: unknown };
  switch (dialect) {
    case 'sqlite':
      // better-sqlite3 reports every prepare error as SQLITE_ERROR; the message tells.
      return typeof message === 'string' && message.startsWith('no such table');
    case 'postgres':
      return code === '42P01'; // undefined_table
    case 'mysql':
      return errno === 1146 || code === 'ER_NO_SUCH_TABLE';
  }
}
