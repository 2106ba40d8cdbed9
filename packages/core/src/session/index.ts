export {
  createSessionCodec,
  defaultSessionCodec,
  type SessionCodec,
  type SessionCodecOptions,
  type SessionData,
  TAGGED_JSON_FORMAT,
} from './codec.js';
export {
  type CommitResult,
  type MergeConflict,
  type MergeFunction,
  SessionManager,
  type SessionManagerOptions,
} from './manager.js';
export { type ExpiryOptions, ExpiryPolicy, type SessionLifetime } from './policy.js';
export { Session } from './session.js';
export { sessionIdOf } from './token.js';
export type { SessionInfo } from './user-sessions.js';
