import { InvalidOptionError } from './errors.js';

/**
 * Background sweeps for stores that expire by sweeping (`expiry: 'sweep'`):
 * one implementation of the timer, the jitter and the bookkeeping, which each
 * such store drives with its own `clearExpired`.
 */

/** What one sweep did. Stores add their own fields. */
export interface SweepReport {
  /** Expired records removed. */
  readonly deleted: number;
  /** Wall time of the sweep in ms. */
  readonly durationMs: number;
  /** True when another instance was sweeping, so this one did nothing. */
  readonly skipped?: boolean;
}

export interface SweeperOptions<Report extends SweepReport = SweepReport> {
  /** Time between sweeps in ms (at least 1000). */
  readonly intervalMs: number;
  /**
   * Each wait is `intervalMs` plus a random share of up to `jitter ×
   * intervalMs`, so instances started together drift apart. Default 0.1.
   */
  readonly jitter?: number;
  /** Sweep once right away instead of after the first interval. Default false. */
  readonly immediate?: boolean;
  /** Called after every sweep with what it did. */
  readonly onSweep?: (report: Report) => void;
  /** Called when a sweep fails; the sweeper carries on. */
  readonly onError?: (error: Error) => void;
}

/** Running totals of a sweeper, for metrics. */
export interface SweeperStats<Report extends SweepReport = SweepReport> {
  readonly sweeps: number;
  readonly skipped: number;
  readonly failures: number;
  readonly deleted: number;
  readonly lastReport: Report | undefined;
  readonly lastError: Error | undefined;
}

/** A running background sweeper. */
export interface Sweeper<Report extends SweepReport = SweepReport> {
  readonly stats: SweeperStats<Report>;
  /** Sweeps now (or joins the sweep under way) and returns its report. */
  runNow(): Promise<Report>;
  /** Stops the timer and waits for a sweep under way. Idempotent. */
  stop(): Promise<void>;
}

/** Throws `InvalidOptionError` unless the options can work. */
export function checkSweeperOptions(options: SweeperOptions<never>): void {
  const { intervalMs, jitter = 0.1 } = options ?? ({} as SweeperOptions<never>);
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < 1000) {
    throw new InvalidOptionError('startSweeper needs intervalMs, a number of milliseconds ≥ 1000.');
  }
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw new InvalidOptionError('jitter must be a number between 0 and 1.');
  }
}

/**
 * Runs `sweep` every `intervalMs` (plus jitter) on an unref'd timer, so it
 * never keeps the process alive. One sweep at a time; a failure goes to
 * `onError` and the next sweep runs as planned.
 *
 * @example
 * const sweeper = new IntervalSweeper(async () => {
 *   const started = performance.now();
 *   const deleted = await store.clearExpired();
 *   return { deleted, durationMs: performance.now() - started };
 * }, { intervalMs: 10 * 60_000 });
 */
export class IntervalSweeper<Report extends SweepReport = SweepReport> implements Sweeper<Report> {
  readonly #sweep: () => Promise<Report>;
  readonly #options: SweeperOptions<Report>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<Report> | undefined;
  #stopped = false;
  #stats: SweeperStats<Report> = {
    sweeps: 0,
    skipped: 0,
    failures: 0,
    deleted: 0,
    lastReport: undefined,
    lastError: undefined,
  };

  constructor(sweep: () => Promise<Report>, options: SweeperOptions<Report>) {
    checkSweeperOptions(options);
    this.#sweep = sweep;
    this.#options = options;
    if (options.immediate) this.#tick();
    else this.#schedule();
  }

  get stats(): SweeperStats<Report> {
    return this.#stats;
  }

  runNow(): Promise<Report> {
    if (this.#running) return this.#running;
    const run = this.#sweep().then(
      (report) => {
        const stats = this.#stats;
        this.#stats = {
          ...stats,
          sweeps: stats.sweeps + (report.skipped ? 0 : 1),
          skipped: stats.skipped + (report.skipped ? 1 : 0),
          deleted: stats.deleted + report.deleted,
          lastReport: report,
        };
        notify(() => this.#options.onSweep?.(report));
        return report;
      },
      (error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        this.#stats = { ...this.#stats, failures: this.#stats.failures + 1, lastError: failure };
        notify(() => this.#options.onError?.(failure));
        throw failure;
      },
    );
    this.#running = run;
    const done = () => {
      if (this.#running === run) this.#running = undefined;
    };
    run.then(done, done);
    return run;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
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
    this.#timer = setTimeout(() => this.#tick(), intervalMs + Math.random() * jitter * intervalMs);
    this.#timer.unref();
  }
}

/** A listener's failure must neither stop the sweeper nor escape as an unhandled error. */
function notify(callback: () => void): void {
  try {
    callback();
  } catch {
    // ignored on purpose
  }
}
