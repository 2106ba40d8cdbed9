import {
  type Clock,
  InvalidOptionError,
  type SessionStore,
  type StoreCapabilities,
} from '@sess/core';
import { type OptionKeys, rejectUnknownOptions, systemClock } from '@sess/core/store-kit';
import { tickFor } from './cache-tier.js';
import { VALUE_OVERHEAD_BYTES } from './entries.js';

export interface TieredStoreOptions {
  /** The fast store in front: a `RedisStore`, a `MemcachedStore`, any session store. */
  readonly cache: SessionStore;
  /** The store that keeps sessions: a `SqlStore`, any session store. It decides everything. */
  readonly durable: SessionStore;
  /** The clock; give the durable store the same one. Default `Date.now`. */
  readonly now?: Clock;
  /**
   * Time the cache gets in each phase of an operation (a read; before and
   * after the durable call). Past it the cache is marked down and the
   * operation goes on with the durable store alone. Default: the cache's own
   * `operationTimeoutMs` (give the cache store a short one, say 250 ms), or
   * 250 ms for a cache that does no I/O.
   */
  readonly cacheTimeoutMs?: number;
  /**
   * After a cache failure, how long the cache is bypassed before it is tried
   * again (by the next operation, in the background). Default 1000 ms.
   */
  readonly cacheRetryMs?: number;
  /**
   * How long a write's mark holds fills back when the write cannot take it off
   * (its durable call failed or timed out and may still land). Longer than
   * the durable store could ever take to apply a write. Default 30,000 ms.
   */
  readonly fenceTtlMs?: number;
  /** The longest a record stays in the cache before it is read again from the durable store. Default 300,000 ms. */
  readonly maxCacheAgeMs?: number;
  /**
   * What reads do while the durable store is down: `'reject'` (the default)
   * fails them like writes; `'cache'` serves sessions the cache holds.
   */
  readonly durableDownReads?: 'reject' | 'cache';
  /**
   * While reads are all served by the cache, check the durable store in the
   * background this often, so an outage is noticed. Default 1000 ms.
   */
  readonly durableProbeMs?: number;
}

export interface ResolvedOptions {
  readonly cache: SessionStore;
  readonly durable: SessionStore;
  readonly now: Clock;
  readonly cacheTimeoutMs: number;
  readonly cacheRetryMs: number;
  readonly fenceTtlMs: number;
  readonly leaseTtlMs: number;
  readonly maxCacheAgeMs: number;
  readonly durableDownReads: 'reject' | 'cache';
  readonly durableProbeMs: number;
  readonly capabilities: StoreCapabilities;
}

const DEFAULT_CACHE_TIMEOUT_MS = 250;

const TIERED_STORE_OPTIONS: OptionKeys<TieredStoreOptions> = {
  cache: true,
  durable: true,
  now: true,
  cacheTimeoutMs: true,
  cacheRetryMs: true,
  fenceTtlMs: true,
  maxCacheAgeMs: true,
  durableDownReads: true,
  durableProbeMs: true,
};

export function resolveOptions(options: TieredStoreOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('TieredStore takes an options object { cache, durable, ... }.');
  }
  rejectUnknownOptions(options, TIERED_STORE_OPTIONS, 'TieredStore');
  const { cache, durable, now = systemClock, durableDownReads = 'reject' } = options;
  for (const [name, store] of [
    ['cache', cache],
    ['durable', durable],
  ] as const) {
    if (typeof store !== 'object' || store === null || typeof store.capabilities !== 'object') {
      throw new InvalidOptionError(`TieredStore needs \`${name}\`: a session store.`);
    }
  }
  if (cache === durable) {
    throw new InvalidOptionError('The cache and the durable store must be two different stores.');
  }
  if (typeof now !== 'function') {
    throw new InvalidOptionError('now must be a function returning epoch milliseconds.');
  }
  if (durableDownReads !== 'reject' && durableDownReads !== 'cache') {
    throw new InvalidOptionError("durableDownReads must be 'reject' or 'cache'.");
  }
  const cacheTimeoutMs = positive(
    'cacheTimeoutMs',
    options.cacheTimeoutMs ?? cache.capabilities.operationTimeoutMs ?? DEFAULT_CACHE_TIMEOUT_MS,
  );
  const cacheRetryMs = positive('cacheRetryMs', options.cacheRetryMs ?? 1_000, 0);
  const fenceTtlMs = positive('fenceTtlMs', options.fenceTtlMs ?? 30_000);
  const maxCacheAgeMs = positive('maxCacheAgeMs', options.maxCacheAgeMs ?? 300_000);
  const durableProbeMs = positive('durableProbeMs', options.durableProbeMs ?? 1_000);
  const durableTimeoutMs = durable.capabilities.operationTimeoutMs ?? 0;
  // A reader's lease covers one durable read and the cache phases around it;
  // the extra second absorbs a cache that keeps time in whole seconds.
  const leaseTtlMs = durableTimeoutMs + 3 * phaseMs(cacheTimeoutMs) + 1_000;
  if (fenceTtlMs < leaseTtlMs) {
    throw new InvalidOptionError(
      `fenceTtlMs must be at least ${leaseTtlMs} ms: longer than a durable call and the cache calls around it.`,
    );
  }
  return {
    cache,
    durable,
    now,
    cacheTimeoutMs,
    cacheRetryMs,
    fenceTtlMs,
    leaseTtlMs,
    maxCacheAgeMs,
    durableDownReads,
    durableProbeMs,
    capabilities: deriveCapabilities(cache, durable, cacheTimeoutMs),
  };
}

/**
 * What the pair can do. The durable store answers everything that needs
 * the whole truth (listing, counting, sweeping); per-user logout also needs
 * its listing, to find the sessions to fence in the cache.
 */
function deriveCapabilities(
  cache: SessionStore,
  durable: SessionStore,
  cacheTimeoutMs: number,
): StoreCapabilities {
  const d = durable.capabilities;
  const c = cache.capabilities;
  const cacheRoom = c.maxPayloadBytes - VALUE_OVERHEAD_BYTES;
  if (cacheRoom < 1) {
    throw new InvalidOptionError(
      `The cache's maxPayloadBytes leaves no room for a session beside the ${VALUE_OVERHEAD_BYTES} bytes a cached value needs.`,
    );
  }
  const durableTimeoutMs = d.operationTimeoutMs ?? 0;
  return Object.freeze({
    expiry: d.expiry,
    list: d.list,
    count: d.count,
    users: d.users && d.list,
    clear: d.clear && c.clear,
    ttlResolutionMs: d.ttlResolutionMs,
    maxPayloadBytes: Math.min(d.maxPayloadBytes, cacheRoom),
    // The longest paths: a read that misses (three cache phases around one
    // durable read), "log out everywhere" (two cache phases around a listing
    // and the logout on the durable store).
    operationTimeoutMs: 2 * durableTimeoutMs + 3 * phaseMs(cacheTimeoutMs),
  });
}

/** The longest a cache phase takes: its budget, and the tick that notices it ran out. */
function phaseMs(cacheTimeoutMs: number): number {
  return cacheTimeoutMs + tickFor(cacheTimeoutMs);
}

function positive(name: string, value: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidOptionError(`${name} must be an integer number of ms, at least ${min}.`);
  }
  return value;
}
