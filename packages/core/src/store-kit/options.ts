import type { Clock } from '../contract.js';
import { InvalidOptionError } from '../errors.js';
import { systemClock } from './validation.js';

/** The options every store takes under the same names, with the same rules. */
export interface CommonStoreOptions {
  /** Bound on every backend call, in ms: an integer from 1 to 2147483647. Default 2000. */
  readonly operationTimeoutMs?: number;
  /** Largest accepted payload in UTF-8 bytes: a positive integer. Default 1 MiB. */
  readonly maxPayloadBytes?: number;
  /** Current time in epoch ms; inject one to test expiry without sleeping. Default `Date.now`. */
  readonly now?: Clock;
}

/** What `resolveCommonOptions` returns: every option set. */
export interface ResolvedCommonOptions {
  readonly operationTimeoutMs: number;
  readonly maxPayloadBytes: number;
  readonly now: Clock;
}

const DEFAULT_OPERATION_TIMEOUT_MS = 2_000;
const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
/** The longest delay `setTimeout` honours; a longer one fires at once. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * Checks the options every store shares and fills in their defaults, so
 * that each has one rule in every store: `operationTimeoutMs` an integer
 * from 1 to 2147483647 (what a timer can wait), `maxPayloadBytes` an integer
 * from 1 to the store's `maxPayloadLimit`, `now` a function.
 *
 * @param options The store's options (fields other than these three are ignored).
 * @param limits `maxPayloadLimit`: the most the backend can hold in one record
 *   (default `Number.MAX_SAFE_INTEGER`).
 * @throws InvalidOptionError naming the option that cannot work.
 *
 * @example
 * const { operationTimeoutMs, maxPayloadBytes, now } = resolveCommonOptions(options, {
 *   maxPayloadLimit: 16 * 1024 * 1024 - 1,
 * });
 */
export function resolveCommonOptions(
  options: CommonStoreOptions,
  limits: { readonly maxPayloadLimit?: number } = {},
): ResolvedCommonOptions {
  const {
    operationTimeoutMs = DEFAULT_OPERATION_TIMEOUT_MS,
    maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES,
    now = systemClock,
  } = options;
  const maxPayloadLimit = limits.maxPayloadLimit ?? Number.MAX_SAFE_INTEGER;
  if (!isIntegerIn(operationTimeoutMs, 1, MAX_TIMEOUT_MS)) {
    throw new InvalidOptionError(
      `operationTimeoutMs must be an integer number of milliseconds from 1 to ${MAX_TIMEOUT_MS}.`,
    );
  }
  if (!isIntegerIn(maxPayloadBytes, 1, maxPayloadLimit)) {
    throw new InvalidOptionError(
      `maxPayloadBytes must be an integer from 1 to ${maxPayloadLimit} for this store.`,
    );
  }
  if (typeof now !== 'function') {
    throw new InvalidOptionError('now must be a function returning epoch milliseconds.');
  }
  return { operationTimeoutMs, maxPayloadBytes, now };
}

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}
