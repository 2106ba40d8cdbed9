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
  }

  /** The absolute deadline of a session created at `createdAt`. */
  deadline(createdAt: number): number {
    return createdAt + this.absoluteTimeoutMs;
  }

  /** The expiry a write at `now` gives: the idle window, capped by the absolute deadline. */
  expiryAt(now: number, absoluteExpiresAt: number): number {
    return Math.min(now + this.idleTimeoutMs, absoluteExpiresAt);
  }

  /** True when an unchanged session should be touched: little time left, and touching gains some. */
  renewalDue(now: number, expiresAt: number, absoluteExpiresAt: number): boolean {
    return (
      expiresAt - now < this.renewWhenRemainingMs &&
      this.expiryAt(now, absoluteExpiresAt) > expiresAt
    );
  }
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidOptionError(`${name} must be a positive integer number of milliseconds.`);
  }
  return value;
}
