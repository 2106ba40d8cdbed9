import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli-run.js';
import { ensureSchema } from '../src/index.js';
import {
  SHARED_POSTGRES,
  sharedPostgres,
  sqliteFile,
  type TestDatabase,
} from './support/databases.js';
import { fillExpired, rowCount } from './support/fill.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** Runs the command in-process and collects what it prints. */
async function cli(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await runCli(args, env, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { status, out: out.join('\n'), err: err.join('\n') };
}

describe('sess-sql sweep on an SQLite file', () => {
  let db: TestDatabase & { filename: string };
  beforeAll(async () => {
    db = await sqliteFile();
    await ensureSchema(db.knex);
  });
  afterAll(() => db?.close());

  it('deletes the expired sessions and prints a JSON report', async () => {
    await fillExpired(db.knex, 'sqlite', 'sess_sessions', 1_234);
    const { status, out } = await cli([
      'sweep',
      '--connection',
      db.filename,
      '--json',
      '--batch-size',
      '500',
    ]);
    expect(status).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      table: '"sess_sessions"',
      deleted: 1_234,
      batches: 3,
      skipped: false,
    });
    expect(await rowCount(db.knex, 'sess_sessions')).toBe(0);
  });

  it('reads the connection from SESS_SQL_CONNECTION and says what it did', async () => {
    await fillExpired(db.knex, 'sqlite', 'sess_sessions', 10);
    const { status, out } = await cli(['sweep'], { SESS_SQL_CONNECTION: `file://${db.filename}` });
    expect(status).toBe(0);
    expect(out).toMatch(
      /^sess-sql: deleted 10 expired sessions from "sess_sessions" in \d+ ms \(1 batches\)\.$/,
    );
  });

  it('runs as the package bin', async () => {
    expect(existsSync(BIN), 'build the package first (turbo runs build before test)').toBe(true);
    await fillExpired(db.knex, 'sqlite', 'sess_sessions', 7);
    const { stdout } = await run(process.execPath, [BIN, 'sweep', '--json'], {
      env: { ...process.env, DATABASE_URL: db.filename },
    });
    expect(JSON.parse(stdout)).toMatchObject({ deleted: 7 });
  });
});

describe('sess-sql sweep on PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await sharedPostgres();
    await ensureSchema(db.knex, { schema: db.schema as string, table: 'cron_sessions' });
  });
  afterAll(() => db?.close());

  it('sweeps a table in a schema, taking the advisory lock', async () => {
    await fillExpired(db.knex, 'postgres', 'cron_sessions', 2_000);
    const { status, out } = await cli(
      ['sweep', '--table', 'cron_sessions', '--schema', db.schema as string, '--json'],
      { DATABASE_URL: SHARED_POSTGRES },
    );
    expect(status).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ deleted: 2_000, skipped: false });
  });

  it('never prints the connection string or its password, even when it fails', async () => {
    const url = new URL(SHARED_POSTGRES);
    url.password = 'hunter2-not-echoed';
    const ok = await cli(['sweep', '--schema', db.schema as string, '--table', 'cron_sessions'], {
      SESS_SQL_CONNECTION: url.href,
    });
    expect(ok.status).toBe(0);
    url.port = '1'; // nothing listens there
    const failed = await cli(['sweep', '--timeout-ms', '2000'], { SESS_SQL_CONNECTION: url.href });
    expect(failed.status).toBe(1);
    expect(failed.err).toMatch(/^sess-sql: sweep failed: /);
    for (const printed of [ok.out, ok.err, failed.out, failed.err]) {
      expect(printed).not.toContain('hunter2');
      expect(printed).not.toContain(url.href);
    }
  });
});

describe('sess-sql usage', () => {
  it.each([
    [[], {}, /the only command is `sweep`/],
    [['sweep'], {}, /no database/],
    [['sweep', '--connection', 'redis://127.0.0.1'], {}, /pass --client/],
    [
      ['sweep', '--connection', 'x.db', '--batch-size', '0'],
      {},
      /--batch-size must be a positive integer/,
    ],
    [['sweep', '--connection', 'x.db', '--table', 'bad name'], {}, /table must be/],
    [['sweep', '--bogus'], {}, /Unknown option/],
  ] as const)('%j exits 2 with a message', async (args, env, message) => {
    const { status, err } = await cli([...args], env);
    expect(status).toBe(2);
    expect(err).toMatch(message);
  });

  it('--help prints the usage', async () => {
    const { status, out } = await cli(['--help']);
    expect(status).toBe(0);
    expect(out).toContain('Usage: sess-sql sweep');
  });
});
