/** How the store's expiry rules map onto Redis. */

/** How far past a session's expiry its user index entry reaches at most (see coverUntil). */
const MAX_COVER_HEADROOM_MS = 7 * 86_400_000;

/**
 * The time to give Redis (`PXAT`, `PEXPIREAT`): Redis keeps a key while its
 * clock is at or before that time, and the contract says a record is gone
 * from `expiresAt` on, so the last millisecond it may live is `expiresAt - 1`.
 * With this, Redis (get, SCAN, count) and the store's own checks by the
 * application's clock agree on the millisecond a record dies.
 */
export function lastLiveMs(expiresAt: number): string {
  return String(expiresAt - 1);
}

/**
 * How long a session's user index entry lasts: past its expiry by as much
 * again (at most a week), so the touches that usually follow fit within it
 * and cost one round trip; only a touch beyond it extends the entry first.
 */
export function coverUntil(expiresAt: number, now: number): number {
  const headroom = Math.min(Math.max(expiresAt - now, 0), MAX_COVER_HEADROOM_MS);
  return Math.min(expiresAt + headroom, Number.MAX_SAFE_INTEGER);
}
