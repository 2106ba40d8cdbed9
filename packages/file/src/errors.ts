import { SessionStoreError, StoreUnavailableError } from '@sess/core';
import type { FsError } from './fs-calls.js';

/**
 * Wraps a file-system failure in `StoreUnavailableError`. The message names
 * the error code and the system call but not the path, which holds the
 * session id; the original error stays in `cause`. sess errors pass through.
 */
export function unavailable(error: unknown, what: string): Error {
  if (error instanceof SessionStoreError) return error;
  const { code, syscall } = (error ?? {}) as FsError;
  const reason = code
    ? `${code}${syscall ? ` (${syscall})` : ''}`
    : error instanceof Error
      ? error.message
      : String(error);
  return new StoreUnavailableError(`FileStore.${what} failed: ${reason}.`, { cause: error });
}
