import { SessionDataError } from '../errors.js';

/**
 * The envelope around every stored session. One header line, then the codec's
 * payload untouched (no escaping, whatever it holds):
 *
 *   sess/1 <codec format> <createdAt> <absoluteExpiresAt>[ idle=<ms>][ persistent=0]\n<payload>
 *
 * The creation time and the absolute deadline live here, not in the session
 * data, so no codec or app key can collide with them, and a listing can read
 * them without decoding the data. A reader of `sess/1` ignores header fields
 * it does not know, so fields can be added without a new version: the
 * optional `name=value` fields (a session's own lifetime) are such fields.
 */
export interface Envelope {
  /** The codec format that wrote `payload`. */
  readonly format: string;
  /** When the session was created (epoch ms). */
  readonly createdAt: number;
  /** When the session ends whatever its activity (epoch ms). */
  readonly absoluteExpiresAt: number;
  /** The session's own idle timeout (`session.setLifetime()`); absent: the manager's. */
  readonly idleTimeoutMs?: number;
  /** `false`: a browser-session cookie (no expiry). Absent: persistent. */
  readonly persistent?: false;
  readonly payload: string;
}

const VERSION = 'sess/1';
const FORMAT = /^[A-Za-z0-9._/-]{1,64}$/;
const EPOCH_MS = /^\d{1,16}$/;

/** True when a codec's `format` can be written into the header. */
export function isValidFormat(format: unknown): format is string {
  return typeof format === 'string' && FORMAT.test(format);
}

export function writeEnvelope(envelope: Envelope): string {
  const { format, createdAt, absoluteExpiresAt, idleTimeoutMs, persistent, payload } = envelope;
  const idle = idleTimeoutMs === undefined ? '' : ` idle=${idleTimeoutMs}`;
  const browser = persistent === false ? ' persistent=0' : '';
  return `${VERSION} ${format} ${createdAt} ${absoluteExpiresAt}${idle}${browser}\n${payload}`;
}

/** Parses the header; throws `SessionDataError` when the record is not a sess envelope it knows. */
export function readEnvelope(data: string): Envelope {
  const end = data.indexOf('\n');
  const header = end === -1 ? [] : data.slice(0, end).split(' ');
  const [version, format, created, absolute, ...fields] = header;
  if (version !== VERSION) {
    throw new SessionDataError('The stored record is not a sess/1 session envelope.');
  }
  if (
    !isValidFormat(format) ||
    created === undefined ||
    absolute === undefined ||
    !EPOCH_MS.test(created) ||
    !EPOCH_MS.test(absolute)
  ) {
    throw new SessionDataError('The stored session envelope has a malformed header.');
  }
  let idleTimeoutMs: number | undefined;
  let persistent: false | undefined;
  for (const field of fields) {
    const [name, value = ''] = field.split('=', 2);
    if (name === 'idle') {
      if (!EPOCH_MS.test(value) || Number(value) < 1) {
        throw new SessionDataError('The stored session envelope has a malformed idle timeout.');
      }
      idleTimeoutMs = Number(value);
    } else if (name === 'persistent' && value === '0') {
      persistent = false;
    }
  }
  return {
    format,
    createdAt: Number(created),
    absoluteExpiresAt: Number(absolute),
    ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
    ...(persistent === undefined ? {} : { persistent }),
    payload: data.slice(end + 1),
  };
}
