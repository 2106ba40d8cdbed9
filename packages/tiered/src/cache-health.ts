import type { Counters } from './stats.js';

export interface CacheHealthOptions {
  /** How long the cache is left alone after a failure before it is tried again. */
  readonly retryMs: number;
  /** Bypass the cache this long when what it may hold can no longer be tracked. */
  readonly distrustMs: number;
  /** Most sessions remembered for invalidation; beyond it the cache is distrusted instead. */
  readonly pendingLimit: number;
  readonly counters: Counters;
  onDown(error: Error): void;
  onUp(downMs: number): void;
  /** Invalidates one session's entry (removing `token` from its mark); rejects if the cache fails. */
  invalidate(id: string, token: string | undefined): Promise<void>;
  /** One cache call that must succeed for the cache to count as back. */
  probe(): Promise<void>;
}

/**
 * Whether the cache may be used, and what must be invalidated before it is
 * used again.
 *
 * One failed or slow cache call marks the cache down: every operation then
 * goes to the durable store alone. A write made meanwhile cannot fence its
 * session in the cache, so the cache may still hold the session's old value;
 * its id is remembered. After `retryMs` the next operation starts a recovery
 * in the background: it invalidates every remembered session, and only
 * then is the cache used again. Until that finishes, operations keep
 * bypassing it, so this process never reads an entry it has not invalidated.
 */
export class CacheHealth {
  readonly #options: CacheHealthOptions;
  #state: 'up' | 'down' | 'recovering' = 'up';
  #downSince = 0;
  #retryAt = 0;
  #distrustUntil = 0;
  /** Writes that bypassed the cache and whose durable call has not settled. */
  #degradedWrites = 0;
  /** Session id → the writer token we may have left in its mark, and when it was remembered. */
  readonly #pending = new Map<string, { token: string | undefined; seq: number }>();
  #seq = 0;
  #recovery: Promise<void> | undefined;

  constructor(options: CacheHealthOptions) {
    this.#options = options;
  }

  /** True when writes may fence sessions in the cache. */
  get usable(): boolean {
    return this.#state === 'up';
  }

  /** True when reads may be answered (and filled) by the cache. */
  get readable(): boolean {
    if (this.#state !== 'up') return false;
    return this.#distrustUntil === 0 || this.#expireDistrust();
  }

  /** The cache failed or ran out of time. */
  failed(error: Error): void {
    this.#retryAt = performance.now() + this.#options.retryMs;
    if (this.#state !== 'up') return;
    this.#state = 'down';
    this.#downSince = performance.now();
    this.#options.onDown(error);
  }

  /** A write is going to the durable store without a fence in the cache. */
  beginDegradedWrite(): void {
    this.#degradedWrites++;
  }

  /** Its durable call settled (either way): the session's cache entry must be invalidated. */
  endDegradedWrite(id: string): void {
    this.#degradedWrites--;
    this.remember(id, undefined);
  }

  /** A session whose cache entry must be invalidated before the cache is used again. */
  remember(id: string, token: string | undefined): void {
    if (this.#pending.size >= this.#options.pendingLimit && !this.#pending.has(id)) {
      this.distrust();
      return;
    }
    this.#pending.set(id, { token: token ?? this.#pending.get(id)?.token, seq: ++this.#seq });
    this.#options.counters.pendingInvalidations = this.#pending.size;
  }

  /**
   * No entry the cache holds can be trusted until every one written so far
   * has expired: entries live at most `distrustMs`, so reads bypass it that
   * long (writes still fence, so nothing written meanwhile goes stale).
   */
  distrust(): void {
    this.#distrustUntil = performance.now() + this.#options.distrustMs;
    this.#pending.clear();
    this.#options.counters.pendingInvalidations = 0;
  }

  /** Every entry is gone (the cache was cleared): nothing is pending any more. */
  forgetPending(): void {
    this.#pending.clear();
    this.#options.counters.pendingInvalidations = 0;
  }

  /**
   * Starts a recovery when the cache is down and due for another try;
   * returns it so the caller can track it. Never rejects.
   */
  poll(): Promise<void> | undefined {
    if (this.#state !== 'down' || performance.now() < this.#retryAt) return undefined;
    this.#state = 'recovering';
    this.#recovery = this.#recover().finally(() => {
      this.#recovery = undefined;
    });
    return this.#recovery;
  }

  /** The recovery under way, if any. */
  get recovery(): Promise<void> | undefined {
    return this.#recovery;
  }

  async #recover(): Promise<void> {
    const { invalidate, probe, counters } = this.#options;
    try {
      await probe();
      // A write still going to the durable store may land after anything we
      // invalidate now: wait for it (it adds its session to the list).
      while (this.#pending.size > 0 || this.#degradedWrites > 0) {
        if (this.#pending.size === 0)
          throw new Error('a write that bypassed the cache is in flight');
        for (const [id, { token, seq }] of [...this.#pending]) {
          await invalidate(id, token);
          // Remembered again during the await: keep it for the next pass.
          if (this.#pending.get(id)?.seq === seq) this.#pending.delete(id);
        }
        counters.pendingInvalidations = this.#pending.size;
      }
    } catch {
      this.#state = 'down';
      this.#retryAt = performance.now() + this.#options.retryMs;
      return;
    }
    this.#state = 'up';
    this.#options.onUp(performance.now() - this.#downSince);
  }

  #expireDistrust(): boolean {
    if (performance.now() < this.#distrustUntil) return false;
    this.#distrustUntil = 0;
    return true;
  }
}
