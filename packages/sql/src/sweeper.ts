import { InvalidOptionError } from '@sess/core';

/** What one sweep did. */
export interface SweepReport {
  /** Expired sessions deleted. */
  readonly deleted: number;
  /** Statements it took (each deletes at most `sweepBatchSize` rows). */
  readonly batches: number;
  /** Wall time of the sweep in milliseconds. */
  readonly durationMs: number;
  /** True when another instance held the sweep lock, so this one did nothing. */
  readonly skipped: boolean;
}

export interface SweeperOptions {
  /** Time between sweeps in milliseconds (at least 1000). */
  readonly intervalMs: number;
  /**
   * Each wait is `intervalMs` plus a random share of up to `jitter ×
   * intervalMs`, so instances started together drift apart. Default 0.1.
   */
  readonly jitter?: number;
  /** Sweep once right away instead of after the first interval. Default false. */
  readonly immediate?: boolean;
  /** Called after every sweep, with its counts and duration. */
  readonly onSweep?: (report: SweepReport) => void;
  /** Called when a sweep fails (`StoreUnavailableError`); the sweeper carries on. */
  readonly onError?: (error: Error) => void;
}

/** Running totals of a sweeper, for metrics. */
export interface SweeperStats {
  readonly sweeps: number;
  readonly skipped: number;
  readonly failures: number;
  readonly deleted: number;
  readonly lastReport: SweepReport | undefined;
  readonly lastError: Error | undefined;
}

/** A running background sweeper. */
export interface Sweeper {
  readonly stats: SweeperStats;
  /** Sweeps now (or joins the sweep under way) and returns its report. */
  runNow(): Promise<SweepReport>;
  /** Stops the timer and waits for a sweep under way to finish its batch. Idempotent. */
  stop(): Promise<void>;
}

export function checkSweeperOptions(options: SweeperOptions): void {
  const { intervalMs, jitter = 0.1 } = options ?? ({} as SweeperOptions);
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < 1000) {
    throw new InvalidOptionError('startSweeper needs intervalMs, a number of milliseconds ≥ 1000.');
  }
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw new InvalidOptionError('jitter must be a number between 0 and 1.');
  }
}

/**
 * Runs `sweep` every `intervalMs` (plus jitter) on an unref'd timer, so it
 * never keeps the process alive. One sweep at a time; failures go to
 * `onError` and the next sweep runs as planned.
 */
export class IntervalSweeper implements Sweeper {
  readonly #sweep: () => Promise<SweepReport>;
  readonly #options: SweeperOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<SweepReport> | undefined;
  #stopped = false;
  #stats: SweeperStats = {
    sweeps: 0,
    skipped: 0,
    failures: 0,
    deleted: 0,
    lastReport: undefined,
    lastError: undefined,
  };

  constructor(sweep: () => Promise<SweepReport>, options: SweeperOptions) {
    checkSweeperOptions(options);
    this.#sweep = sweep;
    this.#options = options;
    if (options.immediate) this.#tick();
    else this.#schedule();
  }

  get stats(): SweeperStats {
    return this.#stats;
  }

  runNow(): Promise<SweepReport> {
    if (this.#running) return this.#running;
    const run = this.#sweep().then(
      (report) => {
        this.#stats = {
          ...this.#stats,
          sweeps: this.#stats.sweeps + (report.skipped ? 0 : 1),
          skipped: this.#stats.skipped + (report.skipped ? 1 : 0),
          deleted: this.#stats.deleted + report.deleted,
          lastReport: report,
        };
        this.#notify(() => this.#options.onSweep?.(report));
        return report;
      },
      (error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        this.#stats = { ...this.#stats, failures: this.#stats.failures + 1, lastError: failure };
        this.#notify(() => this.#options.onError?.(failure));
        throw failure;
      },
    );
    this.#running = run;
    const clear = () => {
      if (this.#running === run) this.#running = undefined;
    };
    run.then(clear, clear);
    return run;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  #notify(callback: () => void): void {
    try {
      callback();
    } catch {
      // A listener's failure must not stop the sweeper or escape as an unhandled error.
    }
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    this.runNow()
      .catch(() => undefined)
      .finally(() => this.#schedule());
  }

  #schedule(): void {
    if (this.#stopped) return;
    const { intervalMs, jitter = 0.1 } = this.#options;
    const delay = intervalMs + Math.random() * jitter * intervalMs;
    this.#timer = setTimeout(() => this.#tick(), delay);
    this.#timer.unref();
  }
}
