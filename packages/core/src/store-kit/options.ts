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

/** Every key any member of a union of option types has. */
type AllKeys<T> = T extends unknown ? keyof T : never;

/**
 * Every option a constructor takes, as `{ name: true }`. Written against the
 * options type, so the compiler flags a key that is missing or misspelled.
 */
export type OptionKeys<Options> = { readonly [Key in AllKeys<Options>]-?: true };

/**
 * Rejects an options object with a key the constructor does not know, so
 * that a misspelled option (`idleTimeout` for `idleTimeoutMs`) fails at
 * once instead of being ignored. The error names the key and the closest
 * known one.
 *
 * @param options What the caller passed (anything but a plain object is left to the constructor).
 * @param known Every key the constructor takes.
 * @param where Names the constructor in the message (`'RedisStore'`).
 * @throws InvalidOptionError for the first unknown key.
 *
 * @example
 * const KNOWN: OptionKeys<MyStoreOptions> = { prefix: true, operationTimeoutMs: true };
 * rejectUnknownOptions(options, KNOWN, 'MyStore');
 */
export function rejectUnknownOptions<Options>(
  options: Options,
  known: OptionKeys<Options>,
  where: string,
): void {
  if (typeof options !== 'object' || options === null) return;
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(known, key)) continue;
    const closest = closestName(key, Object.keys(known));
    throw new InvalidOptionError(
      `${where} has no option "${key}"${closest ? `; did you mean "${closest}"?` : '.'} Known options: ${Object.keys(known).join(', ')}.`,
    );
  }
}

/** The known name nearest to `name` by edit distance, if any is near enough to be a typo. */
function closestName(name: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = name.toLowerCase();
  for (const candidate of names) {
    const other = candidate.toLowerCase();
    // A known name the key begins (`idleTimeout` of `idleTimeoutMs`) is the likeliest typo of all.
    const distance = other.startsWith(lower) ? 0.5 : editDistance(lower, other);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // Close enough to be a typo: up to 2 edits, or 40% of the key for longer keys.
  return bestDistance <= Math.max(2, Math.ceil(name.length * 0.4)) ? best : undefined;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (previous[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length] as number;
}
