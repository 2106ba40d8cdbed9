/** Where a command writes, and what it can tell about the terminal. */
export interface CliIo {
  /** One line of the command's result (stdout). */
  out(line: string): void;
  /** One line of diagnostics or progress (stderr). */
  err(line: string): void;
  /** The stream a progress bar redraws, when stderr is a terminal. */
  readonly tty?: NodeJS.WriteStream;
  /** Standard input, for `--token -`. */
  readonly stdin?: NodeJS.ReadableStream;
  /** Aborted on Ctrl-C: long commands stop at a consistent point. */
  readonly signal?: AbortSignal;
}

/** Exit statuses, as documented in `sess --help`. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  interrupted: 130,
} as const;

/** A mistake in the command line itself: exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A command that ran and found something wrong: exit status 1, message already printed. */
export class Failure extends Error {
  override readonly name = 'Failure';
}

/** Formats a number with thousands separators, for people. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
