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

/** A stored session, read back: its data and the times its envelope holds. */
export interface ReadSession {
  readonly createdAt: number;
  readonly absoluteExpiresAt: number;
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
  record(
    data: Map<string, unknown>,
    createdAt: number,
    absoluteExpiresAt: number,
    expiresAt: number,
    userId: string | undefined,
  ): SessionRecord {
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
      payload,
    });
    const max = this.#store.capabilities.maxPayloadBytes;
    if (encoded.length * 3 > max) {
      const size = payloadBytes(encoded);
      if (size > max) throw new PayloadTooLargeError(size, max);
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
