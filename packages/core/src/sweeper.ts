/**
 * What `startSweeper()` takes and returns on every store that expires by
 * sweeping (`expiry: 'sweep'`): `MemoryStore`, `@sess/file`, `@sess/sql`.
 * Each store's report may add fields of its own.
 */

/** What one sweep did. */
export interface SweepReport {
  /** Expired records removed. */
  readonly deleted: number;
  /** Wall time of the sweep in ms. */
  readonly durationMs: number;
  /** True when another instance was sweeping, so this one did nothing. */
  readonly skipped?: boolean;
}

export interface SweeperOptions<Report extends SweepReport = SweepReport> {
  /** Time between sweeps in ms: an integer from 1000 to 2147483647. */
  readonly intervalMs: number;
  /**
   * Each wait is `intervalMs` plus a random share of up to `jitter ×
   * intervalMs`, so instances started together drift apart. From 0 to 1;
   * default 0.1.
   */
  readonly jitter?: number;
  /** Sweep once right away instead of after the first interval. Default false. */
  readonly immediate?: boolean;
  /** Called after every sweep with what it did. */
  readonly onSweep?: (report: Report) => void;
  /**
   * Called when a sweep fails; the sweeper carries on. Without it, a failed
   * timed sweep becomes a process warning (code `SESS_SWEEP_FAILED`), so it
   * is never silent.
   */
  readonly onError?: (error: Error) => void;
}

/** Running totals of a sweeper, for metrics. */
export interface SweeperStats<Report extends SweepReport = SweepReport> {
  /** Sweeps that ran to the end (skipped ones are not counted). */
  readonly sweeps: number;
  /** Sweeps that found another instance sweeping. */
  readonly skipped: number;
  readonly failures: number;
  /** Records removed, over every sweep. */
  readonly deleted: number;
  readonly lastReport: Report | undefined;
  readonly lastError: Error | undefined;
}

/**
 * A store's running background sweeper. A store runs at most one at a
 * time; `close()` of the store stops it.
 */
export interface Sweeper<Report extends SweepReport = SweepReport> {
  readonly stats: SweeperStats<Report>;
  /**
   * Sweeps now, or joins the sweep under way, and resolves with its report.
   * Rejects with the sweep's error, and with `StoreUnavailableError` once
   * the sweeper is stopped.
   */
  runNow(): Promise<Report>;
  /**
   * Stops the timer at once (the store may start another sweeper right
   * away) and resolves once a sweep under way has finished. Never rejects;
   * idempotent.
   */
  stop(): Promise<void>;
}
