/** Running totals since the store was created, for metrics. */
export interface TieredStats {
  /** Reads answered by the cache alone. */
  readonly hits: number;
  /** Reads that went to the durable store: not cached, being written, or the cache unusable. */
  readonly misses: number;
  /** Records put into the cache after a miss. */
  readonly fills: number;
  /** Writes that left the new record in the cache (the session was cached before). */
  readonly writeThroughs: number;
  /** Cache calls that failed or ran out of time. */
  readonly cacheFailures: number;
  /** Operations that skipped the cache because it was marked down. */
  readonly cacheBypassed: number;
  /** Sessions written while the cache was down, whose cache entry is still to be invalidated. */
  readonly pendingInvalidations: number;
  /** Durable calls that failed with `StoreUnavailableError`. */
  readonly durableFailures: number;
  /** Reads served from the cache while the durable store was down (`durableDownReads: 'cache'`). */
  readonly servedWhileDurableDown: number;
}

export type Tier = 'cache' | 'durable';

/** Emitted when a tier starts failing. */
export interface DegradedEvent {
  readonly tier: Tier;
  /** The failure that was noticed first (a `StoreUnavailableError`). */
  readonly error: Error;
  readonly stats: TieredStats;
}

/** Emitted when a tier that failed works again. */
export interface RecoveredEvent {
  readonly tier: Tier;
  /** How long it was down, in ms. */
  readonly downMs: number;
  readonly stats: TieredStats;
}

export interface TieredStoreEvents {
  degraded: [event: DegradedEvent];
  recovered: [event: RecoveredEvent];
}

/** The mutable counters behind `TieredStats`. */
export type Counters = { -readonly [K in keyof TieredStats]: number };

export function newCounters(): Counters {
  return {
    hits: 0,
    misses: 0,
    fills: 0,
    writeThroughs: 0,
    cacheFailures: 0,
    cacheBypassed: 0,
    pendingInvalidations: 0,
    durableFailures: 0,
    servedWhileDurableDown: 0,
  };
}
