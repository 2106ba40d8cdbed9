import { publishSweep } from '../diagnostics.js';
import { InvalidOptionError, StoreUnavailableError } from '../errors.js';
import type { Sweeper, SweeperOptions, SweeperStats, SweepReport } from '../sweeper.js';

/** The longest delay `setTimeout` honours; a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The background sweeps of one store that expires by sweeping, with the
 * lifecycle every such store shares:
 *
 * - one sweeper at a time: `start()` while one runs throws
 *   `InvalidOptionError`; after its `stop()` another may start at once;
 * - one sweep at a time: a sweep asked for while one is under way (by
 *   `runNow()`, the timer, or a sweeper started meanwhile) joins it;
 * - `stop()` stops the timer and resolves once a sweep under way has
 *   finished; it never rejects;
 * - `close()` (await it in the store's `close()`, before releasing what a
 *   sweep uses) stops the sweeper and waits for a sweep under way to
 *   finish; `start()` then throws `StoreUnavailableError`. A closing store
 *   may end its sweep early at a safe point: it then resolves with what it
 *   did, it does not reject;
 * - a failed sweep is counted in `stats`, passed to `onError` and, when no
 *   `onError` was given and no caller awaits it (a timed sweep), emitted as
 *   a process warning with code `SESS_SWEEP_FAILED`.
 *
 * The timer is unref'd: it never keeps the process alive.
 *
 * @example
 * class MyStore implements SessionStore {
 *   readonly #sweeps = new SweepScheduler(() => this.#sweepOnce(), 'MyStore');
 *
 *   startSweeper(options: SweeperOptions): Sweeper {
 *     return this.#sweeps.start(options);
 *   }
 *
 *   async close(): Promise<void> {
 *     await this.#sweeps.close();
 *     // ...then release what the store holds
 *   }
 *
 *   async #sweepOnce(): Promise<SweepReport> {
 *     const started = performance.now();
 *     const deleted = await this.clearExpired();
 *     return { deleted, durationMs: performance.now() - started };
 *   }
 * }
 */
export class SweepScheduler<Report extends SweepReport = SweepReport> {
  readonly #sweep: () => Promise<Report>;
  readonly #storeName: string;
  #current: IntervalSweeper<Report> | undefined;
  #sweeping: Promise<Report> | undefined;
  #closed = false;

  /**
   * @param sweep One sweep of the store; it resolves with what it did.
   * @param storeName Names the store in errors and warnings (`'FileStore'`).
   */
  constructor(sweep: () => Promise<Report>, storeName: string) {
    this.#sweep = sweep;
    this.#storeName = storeName;
  }

  /**
   * Starts the store's sweeper.
   *
   * @throws InvalidOptionError for options that cannot work, or while
   *   another sweeper of this store runs.
   * @throws StoreUnavailableError once `close()` was called.
   */
  start(options: SweeperOptions<Report>): Sweeper<Report> {
    if (this.#closed) throw new StoreUnavailableError(`This ${this.#storeName} is closed.`);
    assertSweeperOptions(options);
    if (this.#current) {
      throw new InvalidOptionError(
        `This ${this.#storeName} already runs a sweeper; stop it before starting another.`,
      );
    }
    const sweeper = new IntervalSweeper<Report>(
      () => this.#sweepOnce(),
      options,
      this.#storeName,
      () => {
        if (this.#current === sweeper) this.#current = undefined;
      },
    );
    this.#current = sweeper;
    return sweeper;
  }

  /** Stops the sweeper and resolves once no sweep is under way. Idempotent; never rejects. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#current?.stop();
    await this.#sweeping?.catch(() => undefined);
  }

  #sweepOnce(): Promise<Report> {
    if (this.#sweeping) return this.#sweeping;
    let run: Promise<Report>;
    try {
      run = this.#sweep();
    } catch (error) {
      run = Promise.reject(error);
    }
    this.#sweeping = run;
    publishSweep(this.#storeName, run);
    const done = () => {
      if (this.#sweeping === run) this.#sweeping = undefined;
    };
    run.then(done, done);
    return run;
  }
}

/** Throws `InvalidOptionError` unless the sweeper options can work. */
function assertSweeperOptions(options: SweeperOptions<never>): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('startSweeper takes an options object { intervalMs, ... }.');
  }
  const { intervalMs, jitter = 0.1, onSweep, onError } = options;
  if (
    typeof intervalMs !== 'number' ||
    !Number.isSafeInteger(intervalMs) ||
    intervalMs < 1000 ||
    intervalMs > MAX_TIMER_MS
  ) {
    throw new InvalidOptionError(
      `startSweeper needs intervalMs, an integer number of milliseconds from 1000 to ${MAX_TIMER_MS}.`,
    );
  }
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw new InvalidOptionError('jitter must be a number between 0 and 1.');
  }
  for (const [name, callback] of [
    ['onSweep', onSweep],
    ['onError', onError],
  ] as const) {
    if (callback !== undefined && typeof callback !== 'function') {
      throw new InvalidOptionError(`${name} must be a function.`);
    }
  }
}

/** One sweeper: the timer, the jitter and the running totals. */
class IntervalSweeper<Report extends SweepReport> implements Sweeper<Report> {
  readonly #sweep: () => Promise<Report>;
  readonly #options: SweeperOptions<Report>;
  readonly #storeName: string;
  readonly #onStop: () => void;
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

  constructor(
    sweep: () => Promise<Report>,
    options: SweeperOptions<Report>,
    storeName: string,
    onStop: () => void,
  ) {
    this.#sweep = sweep;
    this.#options = options;
    this.#storeName = storeName;
    this.#onStop = onStop;
    if (options.immediate) this.#tick();
    else this.#schedule();
  }

  get stats(): SweeperStats<Report> {
    return this.#stats;
  }

  runNow(): Promise<Report> {
    if (this.#stopped) {
      return Promise.reject(
        new StoreUnavailableError(`This ${this.#storeName} sweeper is stopped.`),
      );
    }
    return this.#run();
  }

  async stop(): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#onStop();
    }
    await this.#running?.catch(() => undefined);
  }

  #run(): Promise<Report> {
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

  #tick(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    this.#run()
      .catch((error: Error) => {
        // Nobody awaits a timed sweep: without onError, say it out loud.
        if (this.#options.onError === undefined) {
          process.emitWarning(`${this.#storeName} sweep failed: ${error.message}`, {
            code: 'SESS_SWEEP_FAILED',
          });
        }
      })
      .finally(() => this.#schedule());
  }

  #schedule(): void {
    if (this.#stopped) return;
    const { intervalMs, jitter = 0.1 } = this.#options;
    const delay = Math.min(MAX_TIMER_MS, intervalMs + Math.random() * jitter * intervalMs);
    this.#timer = setTimeout(() => this.#tick(), delay);
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
