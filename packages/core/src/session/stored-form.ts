import type { SessionRecord, SessionStore, StoredSession } from '../contract.js';
import {
  InvalidOptionError,
  PayloadTooLargeError,
  SessionDataError,
  SessionStoreError,
} from '../errors.js';
import { payloadBytes } from '../store-kit/validation.js';
import type { SessionCodec } from './codec.js';
import { isValidFormat, readEnvelope, writeEnvelope } from './envelope.js';

/** What the envelope holds besides the payload: the session's times and own lifetime. */
export interface EnvelopeFields {
  readonly createdAt: number;
  readonly absoluteExpiresAt: number;
  /** The session's own idle timeout; absent: the manager's. */
  readonly idleTimeoutMs?: number | undefined;
  /** `false`: a browser-session cookie. */
  readonly persistent?: boolean | undefined;
}

/** What a record is written from: the envelope's fields, the store's expiry and owner. */
export interface RecordFields extends EnvelopeFields {
  readonly expiresAt: number;
  readonly userId: string | undefined;
}

/** A stored session, read back: its data and what its envelope holds. */
export interface ReadSession extends EnvelopeFields {
  readonly data: Map<string, unknown>;
}

/**
 * A session's data as the store keeps it: encoded by the codec, inside the
 * envelope (envelope.ts), within the store's `maxPayloadBytes`.
 */
export class StoredForm {
  readonly #codec: SessionCodec;
  readonly #store: SessionStore;

  constructor(codec: SessionCodec, store: SessionStore) {
    if (!isValidFormat(codec.format)) {
      throw new InvalidOptionError(
        'codec.format must be 1 to 64 characters of A-Z, a-z, 0-9, ".", "_", "/" and "-".',
      );
    }
    this.#codec = codec;
    this.#store = store;
  }

  /**
   * The record to write. Throws `SessionDataError` or `PayloadTooLargeError`,
   * before any store call, when the data cannot be stored.
   */
  record(data: Map<string, unknown>, fields: RecordFields): SessionRecord {
    const { createdAt, absoluteExpiresAt, idleTimeoutMs, persistent, expiresAt, userId } = fields;
    let payload: string;
    try {
      payload = this.#codec.encode(Object.fromEntries(data));
    } catch (error) {
      if (error instanceof SessionStoreError) throw error;
      throw new SessionDataError('The codec could not encode the session data.', { cause: error });
    }
    if (typeof payload !== 'string') {
      throw new SessionDataError('The codec returned something other than a string.');
    }
    const encoded = writeEnvelope({
      format: this.#codec.format,
      createdAt,
      absoluteExpiresAt,
      ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
      ...(persistent === false ? { persistent } : {}),
      payload,
    });
    const max = this.#store.capabilities.maxPayloadBytes;
    if (encoded.length * 3 > max) {
      const size = payloadBytes(encoded);
      if (size > max) throw new PayloadTooLargeError(size, max, { source: 'store' });
    }
    return userId === undefined
      ? { data: encoded, expiresAt }
      : { data: encoded, expiresAt, userId };
  }

  /** Decodes a stored record; undefined when it is not one this codec can read. */
  read(stored: StoredSession): ReadSession | undefined {
    try {
      const envelope = readEnvelope(stored.data);
      const data = this.#codec.decode(envelope.payload, envelope.format);
      return {
        createdAt: envelope.createdAt,
        absoluteExpiresAt: envelope.absoluteExpiresAt,
        idleTimeoutMs: envelope.idleTimeoutMs,
        persistent: envelope.persistent,
        data: new Map(Object.entries(data)),
      };
    } catch {
      // Unreadable (corrupt, or written by a codec that is not this one): the
      // session cannot be resumed. It is left in place, not destroyed: during a
      // rolling deploy another process may still read it.
      return undefined;
    }
  }
}
