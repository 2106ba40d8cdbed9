export type {
  Clock,
  DestroyByUserOptions,
  ListOptions,
  ListPage,
  SessionRecord,
  SessionStore,
  StoreCapabilities,
  StoredSession,
  UpdateOptions,
  Version,
  WriteFailure,
  WriteResult,
} from './contract.js';
export {
  CorruptRecordError,
  InvalidOptionError,
  InvalidRecordError,
  InvalidSessionIdError,
  InvalidUserIdError,
  isSessionStoreError,
  PayloadTooLargeError,
  SessionConflictError,
  SessionDataError,
  type SessionErrorCode,
  SessionStoreError,
  StoreUnavailableError,
  UnsupportedOperationError,
} from './errors.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { asUnavailable, withTimeout } from './timeout.js';
export {
  assertExpiry,
  assertListOptions,
  assertRecord,
  assertSessionId,
  assertUserId,
  assertWrite,
  isValidSessionId,
  MAX_USER_ID_LENGTH,
  payloadBytes,
  systemClock,
} from './validation.js';
