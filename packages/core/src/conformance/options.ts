import type { Clock, SessionStore } from '../contract.js';
import type { ConformanceTestName } from './groups/index.js';

/**
 * The test-registration function of any runner: vitest's `it` (or
 * `it.concurrent`), node:test's `test`, jest's `test`. The suite calls it once
 * per rule; the runner calls `fn` with its own test context, through which a
 * test that does not apply is reported as skipped.
 */
export interface ConformanceTestFunction {
  (name: string, fn: (context: unknown) => Promise<void>): unknown;
  /** Registers a skipped test; used for the names in `skip`. */
  skip?: (name: string, fn: (context: unknown) => Promise<void>) => unknown;
}

/** What `createStore` receives. */
export interface StoreFactoryContext {
  /**
   * Unique for every store the suite opens: use it as the key prefix, table,
   * or directory, so tests can run concurrently. It matches
   * `/^[a-z][a-z0-9_]{0,23}$/`, valid as a prefix, an SQL identifier and a
   * file name.
   */
  readonly namespace: string;
  /**
   * Present when the store declares `expiry: 'sweep'`: the store must read the
   * current time from it (never `Date.now()`), so expiry is tested without
   * sleeping.
   */
  readonly now?: Clock;
}

export interface StoreHandle {
  readonly store: SessionStore;
  /** Runs after `store.close()`, even when the test failed: drop tables, stop servers... */
  readonly dispose?: () => unknown;
}

export interface ConformanceTiming {
  /** Multiplies every real-time wait, for slow machines. Default: `SESS_CONFORMANCE_TIME_SCALE` or 1. */
  readonly timeScale?: number;
  /** Tolerance added to every real-time bound, in ms (before scaling). Default 250. */
  readonly slackMs?: number;
  /** How long a store may take to work again after `faults.start()`, in ms. Default 15,000. */
  readonly recoveryMs?: number;
}

export interface ConformanceFaults {
  /** Makes the backend unreachable (kill the server, drop the link). */
  stop(): Promise<void>;
  /** Brings it back at the same address. */
  start(): Promise<void>;
}

export interface CorruptContext {
  readonly store: SessionStore;
  readonly namespace: string;
  /** A live record written by the suite; make it unreadable in place. */
  readonly id: string;
}

export interface ForeignContext {
  /** The namespace of the store the data must sit beside. */
  readonly namespace: string;
}

export interface ConformanceOptions {
  /** The runner's test function (`it`, `test`, `it.concurrent`). */
  readonly test: ConformanceTestFunction;
  /** Opens a fresh store for one test. Expensive clients should be created once, outside. */
  readonly createStore: (context: StoreFactoryContext) => StoreHandle | Promise<StoreHandle>;
  /** Tests to skip, each with the reason, shown in the report. */
  readonly skip?: Partial<Record<ConformanceTestName, string>>;
  readonly timing?: ConformanceTiming;
  /** Enables the fault tier: outage, timeouts and recovery against a private server. */
  readonly faults?: ConformanceFaults;
  /** Enables the corrupt-record tier. */
  readonly corrupt?: (context: CorruptContext) => Promise<void>;
  /**
   * Writes data that is not a session where the store keeps its records, the
   * way other parts of an app share a Redis prefix or a directory (a config
   * key, a queue, a cache entry), and returns a check that all of it is still
   * there, unchanged. Enables the tests that `clear`, `count`, `list` and
   * `destroyByUser` touch only the store's own records.
   */
  readonly foreign?: (context: ForeignContext) => Promise<() => Promise<boolean>>;
}
