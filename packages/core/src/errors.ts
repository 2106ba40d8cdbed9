/**
 * Typed errors. Each has a stable `code` to branch on (messages may change),
 * and wraps what caused it in `cause`. Messages never hold session data,
 * tokens or credentials.
 */

export type SessionErrorCode =
  | 'SESS_INVALID_ID'
  | 'SESS_INVALID_USER_ID'
  | 'SESS_INVALID_RECORD'
  | 'SESS_PAYLOAD_TOO_LARGE'
  | 'SESS_STORE_UNAVAILABLE'
  | 'SESS_UNSUPPORTED'
  | 'SESS_CORRUPT_RECORD'
  | 'SESS_DATA'
  | 'SESS_CONFLICT'
  | 'SESS_INVALID_OPTION'
  | 'SESS_SCHEMA_MISSING';

// Marks sess errors across copies of this package (an ESM and a CJS copy can
// both be loaded), so `instanceof` still works where the classes differ.
const brand = Symbol.for('@sess/core/error');

/** Base class of every error sess throws. */
export class SessionStoreError extends Error {
  readonly code: SessionErrorCode;

  constructor(code: SessionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, brand, { value: true });
  }
}

// `instanceof` also accepts an error from another copy of this package: it
// matches by brand, and by name for subclasses (`this` is the class on the right).
Object.defineProperty(SessionStoreError, Symbol.hasInstance, {
  value: function hasInstance(this: abstract new (...args: never[]) => unknown, value: unknown) {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (typeof value !== 'object' || value === null || !(brand in value)) return false;
    return this === SessionStoreError || (value as { name?: unknown }).name === this.name;
  },
});

/** A session id that is not 1–128 characters of `A-Z a-z 0-9 - _`. */
export class InvalidSessionIdError extends SessionStoreError {
  constructor(message: string) {
    super('SESS_INVALID_ID', message);
  }
}

/** A user id that is not 1–256 characters of well-formed text. */
export class InvalidUserIdError extends SessionStoreError {
  constructor(message: string) {
    super('SESS_INVALID_USER_ID', message);
  }
}

/** A record that breaks the contract: non-string data, or an expiry that is not a future integer. */
export class InvalidRecordError extends SessionStoreError {
  constructor(message: string) {
    super('SESS_INVALID_RECORD', message);
  }
}

/**
 * Where a payload limit comes from: the store's `capabilities.maxPayloadBytes`,
 * or the session codec's `maxBytes` (`createSessionCodec`).
 */
export type PayloadLimitSource = 'store' | 'codec';

/** A payload over the store's `maxPayloadBytes` or the codec's `maxBytes`. Nothing was written. */
export class PayloadTooLargeError extends SessionStoreError {
  readonly size: number;
  readonly limit: number;
  /** Which limit was hit. */
  readonly source: PayloadLimitSource;

  constructor(
    size: number,
    limit: number,
    options?: { cause?: unknown; source?: PayloadLimitSource },
  ) {
    const source = options?.source ?? 'store';
    const which =
      source === 'codec'
        ? `the session codec accepts at most ${limit} (its maxBytes)`
        : `this store accepts at most ${limit} (its maxPayloadBytes)`;
    super(
      'SESS_PAYLOAD_TOO_LARGE',
      `Session payload is ${size} bytes; ${which}. Store less in the session.`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.size = size;
    this.limit = limit;
    this.source = source;
  }
}

/** The backend failed, timed out or is closed. Safe to retry later. */
export class StoreUnavailableError extends SessionStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SESS_STORE_UNAVAILABLE', message, options);
  }
}

/** An optional operation the store does not declare in its capabilities. */
export class UnsupportedOperationError extends SessionStoreError {
  readonly operation: string;

  constructor(operation: string, storeName = 'this store') {
    super('SESS_UNSUPPORTED', `${storeName} does not support ${operation}().`);
    this.operation = operation;
  }
}

/** A stored record that cannot be read back. */
export class CorruptRecordError extends SessionStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SESS_CORRUPT_RECORD', message, options);
  }
}

/** Session data the codec cannot encode or decode. Raised before any store call. */
export class SessionDataError extends SessionStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SESS_DATA', message, options);
  }
}

/** A save that kept conflicting with concurrent writers after every retry. */
export class SessionConflictError extends SessionStoreError {
  constructor(message: string) {
    super('SESS_CONFLICT', message);
  }
}

/** A constructor option that cannot work (bad prefix, table name, limit...). */
export class InvalidOptionError extends SessionStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SESS_INVALID_OPTION', message, options);
  }
}

/**
 * The store's table (or schema) does not exist. Not a passing failure:
 * create it with the adapter's `ensureSchema()` or its migration.
 */
export class SchemaMissingError extends SessionStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SESS_SCHEMA_MISSING', message, options);
  }
}

/** True for any error raised by sess, whatever package threw it. */
export function isSessionStoreError(error: unknown): error is SessionStoreError {
  return error instanceof SessionStoreError;
}
