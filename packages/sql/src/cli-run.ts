import { parseArgs } from 'node:util';
import knex, { type Knex } from 'knex';
import { SqlStore } from './sql-store.js';
import { sqliteConfig } from './sqlite-config.js';

/** Where the command writes. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const USAGE = `Usage: sess-sql sweep [options]

Deletes expired sessions in batches, holding the table's advisory lock so
that only one sweeper (this command or an application's) runs at a time.

Options:
  --connection <url|file>  Database to sweep. Default: $SESS_SQL_CONNECTION, then $DATABASE_URL.
                           postgres://…, mysql://… (or mariadb://…), or an SQLite file path.
  --client <name>          pg, mysql2 or better-sqlite3. Default: from the connection.
  --table <name>           Sessions table. Default: sess_sessions.
  --schema <name>          PostgreSQL schema or MySQL database of the table.
  --batch-size <n>         Rows per DELETE. Default: 1000.
  --timeout-ms <n>         Bound on each statement, in ms. Default: 30000.
  --json                   Print the report as one JSON line.
  -h, --help               Show this help.

Exit status: 0 when the sweep ran or another instance held the lock,
1 when it failed, 2 on a usage error.
Prefer the environment variables to --connection: arguments are visible to
other users of the machine.`;

const CLIENTS = new Set(['pg', 'mysql2', 'better-sqlite3']);

class UsageError extends Error {}

/** Picks the knex client from a connection string: a URL scheme, or a file. */
function clientFor(connection: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(connection)?.[1]?.toLowerCase();
  if (scheme === undefined) return 'better-sqlite3';
  if (scheme === 'postgres' || scheme === 'postgresql') return 'pg';
  if (scheme === 'mysql' || scheme === 'mariadb') return 'mysql2';
  if (scheme === 'file' || scheme === 'sqlite') return 'better-sqlite3';
  throw new UsageError(
    `cannot tell the database from the connection's scheme "${scheme}"; pass --client.`,
  );
}

/** The SQLite file of a `file://`/`sqlite://` URL or a plain path. */
function sqliteFile(connection: string): string {
  const match = /^(?:file|sqlite):\/\/(.*)$/i.exec(connection);
  return match ? decodeURIComponent(match[1] ?? '') : connection;
}

function knexConfig(client: string, connection: string, timeoutMs: number): Knex.Config {
  const log = { warn() {}, error() {}, deprecate() {}, debug() {} };
  if (client === 'better-sqlite3') {
    return { ...sqliteConfig(sqliteFile(connection), { busyTimeoutMs: timeoutMs }), log };
  }
  // mysql2 does not take mariadb:// URLs; it speaks the same protocol as mysql://.
  const url = client === 'mysql2' ? connection.replace(/^mariadb:/i, 'mysql:') : connection;
  return {
    client,
    connection: url,
    pool: { min: 0, max: 1 },
    acquireConnectionTimeout: timeoutMs,
    log,
  };
}

/** Replaces the connection string and any password in it, wherever a message repeats them. */
function redactor(connection: string): (text: string) => string {
  const secrets = [connection];
  try {
    const password = new URL(connection).password;
    if (password) secrets.push(password, decodeURIComponent(password));
  } catch {
    // not a URL: a file path
  }
  return (text) =>
    secrets.filter(Boolean).reduce((out, secret) => out.split(secret).join('***'), text);
}

function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`--${name} must be a positive integer.`);
  return n;
}

/**
 * The `sess-sql` command: `sess-sql sweep` deletes expired sessions once,
 * for a cron job. Returns the exit status.
 */
export async function runCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CliIo,
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.err(`sess-sql: ${(error as Error).message}`);
    io.err('Run `sess-sql --help` for usage.');
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const connection = values.connection ?? env.SESS_SQL_CONNECTION ?? env.DATABASE_URL;
  let config: Knex.Config;
  let options: {
    table?: string;
    schema?: string;
    sweepBatchSize: number;
    operationTimeoutMs: number;
  };
  try {
    if (positionals.length !== 1 || positionals[0] !== 'sweep') {
      throw new UsageError('the only command is `sweep`.');
    }
    if (!connection) {
      throw new UsageError(
        'no database: pass --connection or set SESS_SQL_CONNECTION or DATABASE_URL.',
      );
    }
    const client = values.client ?? clientFor(connection);
    if (!CLIENTS.has(client))
      throw new UsageError('--client must be pg, mysql2 or better-sqlite3.');
    const timeoutMs = positiveInteger(values['timeout-ms'], 'timeout-ms', 30_000);
    config = knexConfig(client, connection, timeoutMs);
    options = {
      ...(values.table === undefined ? {} : { table: values.table }),
      ...(values.schema === undefined ? {} : { schema: values.schema }),
      sweepBatchSize: positiveInteger(values['batch-size'], 'batch-size', 1_000),
      operationTimeoutMs: timeoutMs,
    };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`sess-sql: ${error.message}`);
    return 2;
  }

  const redact = redactor(connection);
  const db = knex(config);
  try {
    const store = new SqlStore({ knex: db, ...options });
    const report = await store.sweep();
    await store.close();
    const summary = { table: store.table, ...report, durationMs: Math.round(report.durationMs) };
    if (values.json) io.out(JSON.stringify(summary));
    else if (report.skipped)
      io.out(`sess-sql: skipped: another sweeper holds the lock on ${store.table}.`);
    else {
      io.out(
        `sess-sql: deleted ${report.deleted} expired sessions from ${store.table} in ${summary.durationMs} ms (${report.batches} batches).`,
      );
    }
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.err(`sess-sql: sweep failed: ${redact(message)}`);
    return (error as { code?: unknown }).code === 'SESS_INVALID_OPTION' ? 2 : 1;
  } finally {
    await db.destroy().catch(() => undefined);
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      connection: { type: 'string' },
      client: { type: 'string' },
      table: { type: 'string' },
      schema: { type: 'string' },
      'batch-size': { type: 'string' },
      'timeout-ms': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
