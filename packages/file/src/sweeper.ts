import { InvalidOptionError } from '@sess/core';

/** What one sweep did. */
export interface SweepReport {
  /** Expired records removed. */
  readonly deleted: number;
  /** Temp files of writers that died, removed. */
  readonly staleTemps: number;
  /** Wall time of the sweep in ms. */
  readonly durationMs: number;
}

export interface SweeperOptions {
  /** Time between sweeps in ms (at least 1000). */
  readonly intervalMs: number;
  /**
   * Each wait is `intervalMs` plus a random share of up to `jitter ×
   * intervalMs`, so processes started together do not sweep together. Default 0.1.
   */
  readonly jitter?: number;
  /** Sweep once right away instead of after the first interval. Default false. */
  readonly immediate?: boolean;
  /** Called after every sweep with what it did. */
  readonly onSweep?: (report: SweepReport) => void;
  /** Called when a sweep fails; the sweeper carries on. */
  readonly onError?: (error: Error) => void;
}

/** A running background sweeper. */
export interface Sweeper {
  /** Sweeps now (or joins the sweep under way). */
  runNow(): Promise<SweepReport>;
  /** Stops the timer and waits for a sweep under way. Idempotent. */
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
 * Calls `sweep` every interval (plus jitter) on an unref'd timer, so it never
 * keeps the process alive. One sweep at a time; a failing sweep goes to
 * `onError` and the next runs as planned.
 */
export class IntervalSweeper implements Sweeper {
  readonly #sweep: () => Promise<SweepReport>;
  readonly #options: SweeperOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<SweepReport> | undefined;
  #stopped = false;

  constructor(sweep: () => Promise<SweepReport>, options: SweeperOptions) {
    checkSweeperOptions(options);
    this.#sweep = sweep;
    this.#options = options;
    if (options.immediate) this.#tick();
    else this.#schedule();
  }

  runNow(): Promise<SweepReport> {
    if (this.#running) return this.#running;
    const run = this.#sweep().then(
      (report) => {
        notify(() => this.#options.onSweep?.(report));
        return report;
      },
      (error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
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
