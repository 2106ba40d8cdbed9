import { InvalidOptionError } from '../errors.js';

export interface ExpiryOptions {
  /**
   * A session unused for this long ends (sliding: each renewal moves it).
   * Default 24 hours.
   */
  readonly idleTimeoutMs?: number;
  /** A session ends this long after it was created, however active. Default 7 days. */
  readonly absoluteTimeoutMs?: number;
  /**
   * A request that changes nothing renews the expiry (one `touch`) only when
   * less than this is left of the idle window, so a busy session is not
   * written on every request. Default: half of `idleTimeoutMs`. 0 never
   * touches; `idleTimeoutMs` touches on every request.
   */
  readonly renewWhenRemainingMs?: number;
  /**
   * The longest idle timeout `session.setLifetime()` may give one session
   * (a "remember me" session, say). Default: `idleTimeoutMs`, so a session
   * can shorten its lifetime but not extend it unless you allow it here.
   */
  readonly maxIdleTimeoutMs?: number;
  /** The longest absolute timeout `session.setLifetime()` may give one session. Default: `absoluteTimeoutMs`. */
  readonly maxAbsoluteTimeoutMs?: number;
}

/**
 * One session's own lifetime, set with `session.setLifetime()` and stored
 * with the session. What is left out keeps the manager's value.
 */
export interface SessionLifetime {
  /** This session ends after this long unused; at most the manager's `maxIdleTimeoutMs`. */
  readonly idleTimeoutMs?: number;
  /** This session ends this long after it was created; at most the manager's `maxAbsoluteTimeoutMs`. */
  readonly absoluteTimeoutMs?: number;
  /**
   * `false`: the cookie has no expiry, so the browser forgets it when it
   * closes (the server still ends the session after its idle timeout).
   * Default true.
   */
  readonly persistent?: boolean;
}

const HOUR = 3_600_000;
const DEFAULT_IDLE_MS = 24 * HOUR;
const DEFAULT_ABSOLUTE_MS = 7 * 24 * HOUR;

/**
 * Idle and absolute timeouts, and when a renewal is worth a write.
 * `SessionManager` builds one from its options (`manager.policy`).
 *
 * @example
 * const policy = new ExpiryPolicy({ idleTimeoutMs: 30 * 60_000, absoluteTimeoutMs: 8 * 3_600_000 });
 * policy.expiryAt(Date.now(), policy.deadline(createdAt)); // the next stored (and cookie) expiry
 */
export class ExpiryPolicy {
  readonly idleTimeoutMs: number;
  readonly absoluteTimeoutMs: number;
  readonly renewWhenRemainingMs: number;
  readonly maxIdleTimeoutMs: number;
  readonly maxAbsoluteTimeoutMs: number;

  constructor(options: ExpiryOptions = {}) {
    this.idleTimeoutMs = positive('idleTimeoutMs', options.idleTimeoutMs ?? DEFAULT_IDLE_MS);
    this.absoluteTimeoutMs = positive(
      'absoluteTimeoutMs',
      options.absoluteTimeoutMs ?? DEFAULT_ABSOLUTE_MS,
    );
    if (this.idleTimeoutMs > this.absoluteTimeoutMs) {
      throw new InvalidOptionError(
        `idleTimeoutMs (${this.idleTimeoutMs}) is longer than absoluteTimeoutMs (${this.absoluteTimeoutMs}): no session could stay idle that long. Lower idleTimeoutMs or raise absoluteTimeoutMs.`,
      );
    }
    const renew = options.renewWhenRemainingMs ?? Math.floor(this.idleTimeoutMs / 2);
    if (!Number.isSafeInteger(renew) || renew < 0 || renew > this.idleTimeoutMs) {
      throw new InvalidOptionError(
        'renewWhenRemainingMs must be an integer between 0 and idleTimeoutMs.',
      );
    }
    this.renewWhenRemainingMs = renew;
    this.maxIdleTimeoutMs = atLeast(
      'maxIdleTimeoutMs',
      options.maxIdleTimeoutMs ?? this.idleTimeoutMs,
      'idleTimeoutMs',
      this.idleTimeoutMs,
    );
    this.maxAbsoluteTimeoutMs = atLeast(
      'maxAbsoluteTimeoutMs',
      options.maxAbsoluteTimeoutMs ?? this.absoluteTimeoutMs,
      'absoluteTimeoutMs',
      this.absoluteTimeoutMs,
    );
  }

  /**
   * A session's lifetime, checked against this policy's maximums. Throws
   * `InvalidOptionError` for a value that is not a positive integer, above
   * its maximum, or an idle timeout above the absolute one.
   */
  checkLifetime(lifetime: SessionLifetime): SessionLifetime {
    if (typeof lifetime !== 'object' || lifetime === null) {
      throw new InvalidOptionError('setLifetime() takes an object.');
    }
    const { idleTimeoutMs: idle, absoluteTimeoutMs: absolute, persistent } = lifetime;
    if (idle !== undefined) {
      atMost('idleTimeoutMs', positive('idleTimeoutMs', idle), this.maxIdleTimeoutMs, 'maxIdle');
    }
    if (absolute !== undefined) {
      atMost(
        'absoluteTimeoutMs',
        positive('absoluteTimeoutMs', absolute),
        this.maxAbsoluteTimeoutMs,
        'maxAbsolute',
      );
    }
    if (idle !== undefined && absolute !== undefined && idle > absolute) {
      throw new InvalidOptionError('idleTimeoutMs cannot be longer than absoluteTimeoutMs.');
    }
    if (persistent !== undefined && typeof persistent !== 'boolean') {
      throw new InvalidOptionError('persistent must be a boolean.');
    }
    return lifetime;
  }

  /** The idle timeout of a session that stored `idleTimeoutMs` (capped, should the maximum have shrunk since). */
  idleOf(idleTimeoutMs: number | undefined): number {
    return idleTimeoutMs === undefined
      ? this.idleTimeoutMs
      : Math.min(idleTimeoutMs, this.maxIdleTimeoutMs);
  }

  /** The absolute deadline of a session created at `createdAt`. */
  deadline(createdAt: number, absoluteTimeoutMs = this.absoluteTimeoutMs): number {
    return createdAt + absoluteTimeoutMs;
  }

  /** The expiry a write at `now` gives: the idle window, capped by the absolute deadline. */
  expiryAt(now: number, absoluteExpiresAt: number, idleTimeoutMs = this.idleTimeoutMs): number {
    return Math.min(now + idleTimeoutMs, absoluteExpiresAt);
  }

  /**
   * True when an unchanged session should be touched: little time left, and
   * touching gains some. A session with its own idle timeout renews at the
   * same fraction of its window as `renewWhenRemainingMs` is of `idleTimeoutMs`.
   */
  renewalDue(
    now: number,
    expiresAt: number,
    absoluteExpiresAt: number,
    idleTimeoutMs = this.idleTimeoutMs,
  ): boolean {
    const renewWhen =
      idleTimeoutMs === this.idleTimeoutMs
        ? this.renewWhenRemainingMs
        : Math.floor((idleTimeoutMs * this.renewWhenRemainingMs) / this.idleTimeoutMs);
    return (
      expiresAt - now < renewWhen &&
      this.expiryAt(now, absoluteExpiresAt, idleTimeoutMs) > expiresAt
    );
  }
}

function atLeast(name: string, value: number, floorName: string, floor: number): number {
  positive(name, value);
  if (value < floor) throw new InvalidOptionError(`${name} cannot be shorter than ${floorName}.`);
  return value;
}

function atMost(name: string, value: number, max: number, maxName: string): void {
  if (value > max) {
    throw new InvalidOptionError(
      `${name} of ${value} is above the manager's ${maxName}TimeoutMs of ${max}; raise it in the SessionManager options to allow longer sessions.`,
    );
  }
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidOptionError(`${name} must be a positive integer number of milliseconds.`);
  }
  return value;
}
