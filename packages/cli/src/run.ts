import { parseArgs } from 'node:util';
import { isSessionStoreError, sessionIdOf } from '@sess/core';
import { isValidSessionId } from '@sess/core/store-kit';
import { doctor } from './commands/doctor.js';
import { Interrupted, migrate } from './commands/migrate.js';
import { destroy, list, logoutUser, NotFound, show, stats } from './commands/sessions.js';
import { sweep } from './commands/sweep.js';
import { type CliIo, EXIT, Failure, UsageError } from './io.js';
import { USAGE } from './usage.js';

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  user: { type: 'string' },
  limit: { type: 'string' },
  token: { type: 'string' },
  reveal: { type: 'boolean' },
  except: { type: 'string' },
  batch: { type: 'string' },
  concurrency: { type: 'string' },
  resume: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  checkpoint: { type: 'string' },
} as const;

type Option = keyof typeof OPTIONS;

/** Each command: its positional arguments and the options it takes besides --json and --help. */
const COMMANDS: Record<string, { args: string[]; options: Option[] }> = {
  stats: { args: ['url'], options: [] },
  list: { args: ['url'], options: ['user', 'limit'] },
  show: { args: ['url', 'id'], options: ['token', 'reveal'] },
  destroy: { args: ['url', 'id'], options: ['token'] },
  'logout-user': { args: ['url', 'user'], options: ['except'] },
  sweep: { args: ['url'], options: ['batch'] },
  migrate: {
    args: ['from', 'to'],
    options: ['resume', 'dry-run', 'checkpoint', 'batch', 'concurrency'],
  },
  doctor: { args: ['url'], options: [] },
};

function positive(value: string | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max) {
    throw new UsageError(`--${name} must be an integer from 1 to ${max}.`);
  }
  return n;
}

async function readToken(value: string, io: CliIo): Promise<string> {
  if (value !== '-') return value;
  if (!io.stdin) throw new UsageError('--token - reads standard input, which is not available.');
  let text = '';
  for await (const chunk of io.stdin) text += String(chunk);
  return text.trim();
}

/**
 * Runs one `sess` command and returns its exit status. Every failure is
 * printed as one line on stderr, without a stack trace or a secret.
 *
 * @example
 * const status = await runCli(['stats', 'sqlite:./sessions.db'], {
 *   out: (line) => console.log(line),
 *   err: (line) => console.error(line),
 * });
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await dispatch(argv, io);
    return EXIT.ok;
  } catch (error) {
    return report(error, io);
  }
}

/**
 * Session ids are base64url, so one in 32 starts with '-'. A long argument
 * shaped like an id that is no option is taken as a positional, and option
 * values are joined to their option, so neither reads as an unknown option.
 */
function separate(argv: readonly string[]): string[] {
  const options: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    const name = arg.startsWith('--') ? arg.slice(2).split('=')[0] : undefined;
    const known = name !== undefined && Object.hasOwn(OPTIONS, name) ? (name as Option) : undefined;
    if (known && OPTIONS[known].type === 'string' && !arg.includes('=') && i + 1 < argv.length) {
      options.push(`${arg}=${argv[++i]}`);
    } else if (known || (arg.startsWith('-') && !(arg.length >= 16 && isValidSessionId(arg)))) {
      options.push(arg);
    } else {
      positionals.push(arg);
    }
  }
  return [...options, '--', ...positionals];
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<void> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({
      args: separate(argv),
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] ?? 'bad arguments');
  }
  const { values, positionals } = parsed;
  const [name, ...args] = positionals;
  if (name === undefined || name === 'help') {
    if (values.help || name === 'help') {
      io.out(USAGE);
      return;
    }
    throw new UsageError('no command given.');
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command "${name}".`);
  if (values.help) {
    io.out(USAGE);
    return;
  }
  for (const option of Object.keys(values) as Option[]) {
    if (option !== 'json' && option !== 'help' && !command.options.includes(option)) {
      throw new UsageError(`${name} does not take --${option}.`);
    }
  }
  // With --token, the token stands for the id.
  const expected = values.token === undefined ? command.args : command.args.slice(0, -1);
  if (args.length !== expected.length) {
    throw new UsageError(
      `${name} takes ${expected.map((arg) => `<${arg}>`).join(' ')}${command.options.includes('token') && values.token === undefined ? ' (or --token)' : ''}.`,
    );
  }
  const json = values.json === true;
  const [first = '', second = ''] = args;
  const idArg = async () =>
    values.token === undefined ? second : sessionIdOf(await readToken(values.token, io));
  switch (name) {
    case 'stats':
      return stats(io, first, json);
    case 'list':
      return list(io, first, {
        userId: values.user,
        limit: positive(values.limit, 'limit', 100, 1_000_000),
        json,
      });
    case 'show':
      return show(io, first, await idArg(), { reveal: values.reveal === true, json });
    case 'destroy':
      return destroy(io, first, await idArg(), json);
    case 'logout-user':
      return logoutUser(io, first, second, { except: values.except, json });
    case 'sweep':
      return sweep(io, first, {
        batch: values.batch === undefined ? undefined : positive(values.batch, 'batch', 0, 100_000),
        json,
      });
    case 'migrate':
      return migrate(io, first, second, {
        resume: values.resume === true,
        dryRun: values['dry-run'] === true,
        checkpoint: values.checkpoint,
        batch: positive(values.batch, 'batch', 1_000, 1_000),
        concurrency: positive(values.concurrency, 'concurrency', 128, 4_096),
        json,
      });
    case 'doctor':
      return doctor(io, first, json);
  }
}

const USAGE_CODES = new Set([
  'SESS_INVALID_OPTION',
  'SESS_INVALID_ID',
  'SESS_INVALID_USER_ID',
  'SESS_UNSUPPORTED',
]);

function report(error: unknown, io: CliIo): number {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  if (error instanceof UsageError) {
    io.err(`sess: ${message}`);
    io.err('Run `sess --help` for usage.');
    return EXIT.usage;
  }
  if (error instanceof Interrupted) {
    io.err(`sess: ${message}`);
    return EXIT.interrupted;
  }
  if (error instanceof Failure || error instanceof NotFound) {
    io.err(`sess: ${message}`);
    return EXIT.failure;
  }
  if (isSessionStoreError(error)) {
    io.err(`sess: ${message}`);
    return USAGE_CODES.has(error.code) ? EXIT.usage : EXIT.failure;
  }
  // Anything else is unexpected: still one line, never a stack trace.
  io.err(`sess: ${message}`);
  return EXIT.failure;
}
