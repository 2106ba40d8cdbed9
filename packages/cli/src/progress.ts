import cliProgress from 'cli-progress';
import { type CliIo, formatCount } from './io.js';

/** Reports how far a long command has come. */
export interface Progress {
  /** `done` items so far; `total` when it becomes known. */
  update(done: number): void;
  /** Removes the bar (a terminal) before the summary is printed. */
  stop(): void;
}

const PLAIN_EVERY_MS = 5_000;

function seconds(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 90 ? `${s} s` : `${Math.round(s / 60)} min`;
}

/**
 * A progress bar with rate and ETA on a terminal (cli-progress, on stderr),
 * or a plain line every few seconds anywhere else (a log, CI, a pipe).
 * `total` is undefined when the source cannot count: then only the count and
 * the rate are shown.
 */
export function startProgress(
  io: CliIo,
  label: string,
  total: number | undefined,
  unit: string,
): Progress {
  const started = performance.now();
  const rate = (done: number) => done / Math.max(0.001, (performance.now() - started) / 1000);
  if (io.tty) {
    const format =
      total === undefined
        ? `${label} {value} ${unit} | {rate}/s | {duration_formatted}`
        : `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted}`;
    const bar = new cliProgress.SingleBar(
      { format, stream: io.tty, hideCursor: true, clearOnComplete: true, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total ?? 0, 0, { rate: '0' });
    return {
      update: (done) => bar.update(done, { rate: formatCount(Math.round(rate(done))) }),
      stop: () => bar.stop(),
    };
  }
  let last = started;
  return {
    update(done) {
      const now = performance.now();
      if (now - last < PLAIN_EVERY_MS) return;
      last = now;
      const perSecond = rate(done);
      const of =
        total === undefined
          ? ''
          : ` of ${formatCount(total)} (${Math.min(100, Math.floor((done / Math.max(1, total)) * 100))}%)`;
      const eta =
        total === undefined ? '' : `, about ${seconds(((total - done) / perSecond) * 1000)} left`;
      io.err(
        `${label}: ${formatCount(done)}${of} ${unit}, ${formatCount(Math.round(perSecond))}/s${eta}`,
      );
    },
    stop() {},
  };
}
