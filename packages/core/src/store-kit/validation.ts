import type { Clock, SessionRecord, UpdateOptions, Version } from '../contract.js';
import {
  InvalidOptionError,
  InvalidRecordError,
  InvalidSessionIdError,
  InvalidUserIdError,
  PayloadTooLargeError,
} from '../errors.js';

/**
 * Checks every store runs before any I/O. Ids reach keys, file names and
 * queries, so they are held to a charset that is safe in all of them.
 *
 * Naming: `assert*` throws or returns nothing; `check*` throws or returns
 * the value the store goes on with.
 */

const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Longest accepted user id, in UTF-16 code units. */
export const MAX_USER_ID_LENGTH = 256;

/**
 * True for 1–128 characters of `A-Z a-z 0-9 - _`.
 *
 * @example
 * const ids = members.filter(isValidSessionId); // entries read back from an index
 */
export function isValidSessionId(id: unknown): id is string {
  return typeof id === 'string' && SESSION_ID.test(id);
}

/**
 * Throws `InvalidSessionIdError` unless `id` is a valid session id; the
 * message describes the id, never echoes it.
 *
 * @example
 * assertSessionId(id); // first thing in get, touch and destroy
 */
export function assertSessionId(id: unknown): asserts id is string {
  if (!isValidSessionId(id)) {
    // The id may be attacker-controlled: describe it, never echo it.
    const what = typeof id === 'string' ? `a string of length ${id.length}` : typeof id;
    throw new InvalidSessionIdError(
      `Session ids are 1 to 128 characters of A-Z, a-z, 0-9, "-" and "_"; got ${what}.`,
    );
  }
}

/**
 * Throws `InvalidUserIdError` unless `userId` is 1–256 characters of well-formed text.
 *
 * @example
 * assertUserId(options.userId);
 */
export function assertUserId(userId: unknown): asserts userId is string {
  if (
    typeof userId !== 'string' ||
    userId.length === 0 ||
    userId.length > MAX_USER_ID_LENGTH ||
    LONE_SURROGATE.test(userId)
  ) {
    const what = typeof userId === 'string' ? `a string of length ${userId.length}` : typeof userId;
    throw new InvalidUserIdError(
      `User ids are 1 to ${MAX_USER_ID_LENGTH} characters of well-formed Unicode text; got ${what}.`,
    );
  }
}

/**
 * Throws `InvalidRecordError` unless `expiresAt` is an integer epoch-ms time after `now`.
 *
 * @example
 * assertSessionId(id);
 * assertExpiry(expiresAt, now()); // touch
 */
export function assertExpiry(expiresAt: unknown, now: number): asserts expiresAt is number {
  if (typeof expiresAt !== 'number' || !Number.isSafeInteger(expiresAt)) {
    throw new InvalidRecordError('expiresAt must be an integer number of epoch milliseconds.');
  }
  if (expiresAt <= now) {
    throw new InvalidRecordError(
      `expiresAt must be later than now; it is ${now - expiresAt} ms in the past. Use destroy() to end a session.`,
    );
  }
}

/**
 * UTF-8 size of a payload in bytes.
 *
 * @example
 * throw new PayloadTooLargeError(payloadBytes(record.data), serverLimit);
 */
export function payloadBytes(data: string): number {
  return Buffer.byteLength(data, 'utf8');
}

/**
 * Checks a record against the contract: string data within `maxPayloadBytes`,
 * a future integer expiry and, when present, a valid user id.
 *
 * @example
 * assertRecord(record, { now: now(), maxPayloadBytes: this.capabilities.maxPayloadBytes });
 */
export function assertRecord(
  record: unknown,
  limits: { now: number; maxPayloadBytes: number },
): asserts record is SessionRecord {
  if (typeof record !== 'object' || record === null) {
    throw new InvalidRecordError(
      'A session record must be an object { data, expiresAt, userId? }.',
    );
  }
  const { data, expiresAt, userId } = record as Record<string, unknown>;
  if (typeof data !== 'string') {
    throw new InvalidRecordError('record.data must be a string (encode the session first).');
  }
  assertExpiry(expiresAt, limits.now);
  if (userId !== undefined) assertUserId(userId);
  // Cheap upper bound first: a UTF-8 byte is at most 3 per UTF-16 unit.
  if (data.length * 3 > limits.maxPayloadBytes) {
    const size = payloadBytes(data);
    if (size > limits.maxPayloadBytes) throw new PayloadTooLargeError(size, limits.maxPayloadBytes);
  }
}

/**
 * Checks the arguments of `create` and `update` in the order every store
 * uses: the id, then the record.
 *
 * @example
 * assertWrite(id, record, { now: now(), maxPayloadBytes: this.capabilities.maxPayloadBytes });
 */
export function assertWrite(
  id: unknown,
  record: unknown,
  limits: { now: number; maxPayloadBytes: number },
): asserts record is SessionRecord {
  assertSessionId(id);
  assertRecord(record, limits);
}

/**
 * The system clock, the default `now` of every store.
 *
 * @example
 * const now = options.now ?? systemClock;
 */
export const systemClock: Clock = () => Date.now();

/**
 * Checks `destroyByUser()` arguments and returns the session to keep, if any.
 *
 * @example
 * const except = checkDestroyByUser(userId, options);
 */
export function checkDestroyByUser(
  userId: unknown,
  options: { readonly except?: unknown } | undefined,
): string | undefined {
  assertUserId(userId);
  const except = options?.except;
  if (except !== undefined) assertSessionId(except);
  return except;
}

/**
 * Checks `update()` options and returns `ifVersion`, if any.
 *
 * @example
 * assertWrite(id, record, limits);
 * const ifVersion = checkUpdateOptions(options);
 */
export function checkUpdateOptions(options: UpdateOptions | undefined): Version | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('update() takes an options object { ifVersion? }.');
  }
  const { ifVersion } = options as { ifVersion?: unknown };
  if (ifVersion !== undefined && typeof ifVersion !== 'string') {
    throw new InvalidOptionError('ifVersion must be the version string a read returned.');
  }
  return ifVersion;
}

/**
 * Checks `list()` options and returns the page size to use: `defaults.limit`
 * when none is asked for, never more than `defaults.maxLimit`.
 *
 * @example
 * const limit = checkListOptions(options, { limit: 100, maxLimit: 1_000 });
 */
export function checkListOptions(
  options: unknown,
  defaults: { limit: number; maxLimit: number },
): number {
  if (options === undefined) return defaults.limit;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('list() takes an options object { cursor?, limit?, userId? }.');
  }
  const { cursor, limit, userId } = options as Record<string, unknown>;
  if (cursor !== undefined && typeof cursor !== 'string') {
    throw new InvalidOptionError('list() cursor must be the string a previous page returned.');
  }
  if (userId !== undefined) assertUserId(userId);
  if (limit === undefined) return defaults.limit;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) {
    throw new InvalidOptionError('list() limit must be a positive integer.');
  }
  return Math.min(limit, defaults.maxLimit);
}
