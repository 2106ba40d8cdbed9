/**
 * `@sess/core/store-kit`: what a store author needs beyond the contract, so
 * that each rule has one implementation in every store.
 *
 * - Checks to run before any I/O: `assertSessionId`, `assertWrite`,
 *   `assertExpiry`, `checkUpdateOptions`, `checkListOptions`,
 *   `checkDestroyByUser` (and their parts).
 * - The options every store shares: `resolveCommonOptions`; unknown keys
 *   refused with a suggestion: `rejectUnknownOptions`.
 * - Refusals as frozen values: `refused.exists`, `.missing`, `.conflict`.
 * - Bounded backend calls: `withTimeout`, `asUnavailable`.
 * - Background sweeps with one lifecycle: `SweepScheduler`.
 *
 * The contract types (`SessionStore`, `WriteResult`, `SweeperOptions`...)
 * and the error classes come from `@sess/core` itself.
 *
 * @example
 * import type { SessionRecord, UpdateOptions, WriteResult } from '@sess/core';
 * import { assertWrite, checkUpdateOptions, refused } from '@sess/core/store-kit';
 *
 * async function update(id: string, record: SessionRecord, options?: UpdateOptions): Promise<WriteResult> {
 *   assertWrite(id, record, { now: Date.now(), maxPayloadBytes: 1024 * 1024 });
 *   const ifVersion = checkUpdateOptions(options);
 *   // ...read the record, compare ifVersion, write it, or:
 *   return refused.missing;
 * }
 *
 * @packageDocumentation
 */
export {
  type CommonStoreOptions,
  type OptionKeys,
  type ResolvedCommonOptions,
  rejectUnknownOptions,
  resolveCommonOptions,
} from './options.js';
export { type Refusal, refused } from './refusals.js';
export { SweepScheduler } from './sweep-scheduler.js';
export { asUnavailable, withTimeout } from './timeout.js';
export {
  assertExpiry,
  assertRecord,
  assertSessionId,
  assertUserId,
  assertWrite,
  checkDestroyByUser,
  checkListOptions,
  checkUpdateOptions,
  isValidSessionId,
  MAX_USER_ID_LENGTH,
  payloadBytes,
  systemClock,
} from './validation.js';
