/**
 * `@sess/core`: what an application uses (`SessionManager`, `Session`,
 * `MemoryStore`, the codec, the errors) and the store contract's types.
 * Store authors find their helpers in `@sess/core/store-kit`, and the
 * conformance suite in `@sess/core/conformance`.
 *
 * @packageDocumentation
 */
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
  type CommitEvent,
  type ConflictEvent,
  type RenewEvent,
  type RetryEvent,
  type RotateEvent,
  type StoreOperation,
  type StoreOperationEvent,
  type SweepEvent,
  sessChannels,
  type UnreadableEvent,
} from './diagnostics.js';
export {
  CorruptRecordError,
  InvalidOptionError,
  InvalidRecordError,
  InvalidSessionIdError,
  InvalidUserIdError,
  isSessionStoreError,
  type PayloadLimitSource,
  PayloadTooLargeError,
  SchemaMissingError,
  SessionConflictError,
  SessionDataError,
  type SessionErrorCode,
  SessionStoreError,
  StoreUnavailableError,
  UnsupportedOperationError,
} from './errors.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { type Envelope, readEnvelope } from './session/envelope.js';
export {
  type CommitResult,
  createSessionCodec,
  defaultSessionCodec,
  type ExpiryOptions,
  ExpiryPolicy,
  type MergeConflict,
  type MergeFunction,
  Session,
  type SessionCodec,
  type SessionCodecOptions,
  type SessionData,
  type SessionInfo,
  type SessionLifetime,
  SessionManager,
  type SessionManagerOptions,
  sessionIdOf,
  TAGGED_JSON_FORMAT,
} from './session/index.js';
export type { Sweeper, SweeperOptions, SweeperStats, SweepReport } from './sweeper.js';
