import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@sess/test-servers';
import { openStore } from '@sess/url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Run, sess } from './helpers.js';

/** One line on stderr, no stack trace, the given exit status. */
function oneLineError(run: Run, code: number): void {
  expect(run.code).toBe(code);
  expect(run.stdout).toBe('');
  const lines = run.stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^sess: /);
  expect(lines.length).toBeLessThanOrEqual(2); // usage errors add "Run `sess --help`"
  expect(run.stderr).not.toMatch(/\n\s+at |Error:/);
}

describe('bad input', () => {
  let dir: string;
  let sqlite: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sess-cli-bad-'));
    sqlite = `sqlite:${join(dir, 'a.db')}`;
    const store = await openStore(sqlite, { mode: 'create' });
    await store.close();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('an unknown scheme', async () => {
    const run = await sess(['stats', 'mongodb://127.0.0.1/x']);
    oneLineError(run, 2);
    expect(run.stderr).toContain('"mongodb:" is not known');
  });

  it('an unknown query option, named', async () => {
    const run = await sess(['stats', `${sqlite}?tabel=x`]);
    oneLineError(run, 2);
    expect(run.stderr).toContain('"tabel" is not known');
  });

  it('an unreachable server, within the timeout', async () => {
    const port = await freePort();
    const started = Date.now();
    const run = await sess(['stats', `redis://127.0.0.1:${port}?timeoutMs=500`]);
    oneLineError(run, 1);
    expect(run.stderr).toContain(`redis://127.0.0.1:${port}`);
    // Bounded: it did not hang until the test's own timeout.
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('a wrong table', async () => {
    const run = await sess(['list', `${sqlite}?table=sesions`]);
    oneLineError(run, 2);
    expect(run.stderr).toContain('The table sesions does not exist');
  });

  it('an id that is not valid, before any I/O', async () => {
    const run = await sess(['show', sqlite, 'not/an id']);
    oneLineError(run, 2);
    expect(run.stderr).not.toContain('not/an id');
  });

  it('a migration target that is the source', async () => {
    const run = await sess(['migrate', sqlite, `sqlite:${join(dir, '.', 'a.db')}`]);
    oneLineError(run, 2);
    expect(run.stderr).toContain('the same sessions');
    const prefixes = await sess([
      'migrate',
      'redis://127.0.0.1:6379?prefix=app:',
      'redis://127.0.0.1:6379/0?prefix=app:',
    ]);
    oneLineError(prefixes, 2);
  });

  it('an unknown command or option, and a missing argument', async () => {
    oneLineError(await sess(['wipe', sqlite]), 2);
    oneLineError(await sess(['stats', sqlite, '--bogus']), 2);
    oneLineError(await sess(['show', sqlite]), 2);
    oneLineError(await sess(['list', sqlite, '--limit', 'lots']), 2);
  });

  it('never prints a password, whatever fails', async () => {
    const port = await freePort();
    const secret = 'Pa55w0rd-do-not-print';
    const runs = await Promise.all([
      sess(['stats', `redis://:${secret}@127.0.0.1:${port}?timeoutMs=300`]),
      sess(['stats', `postgres://postgres:${secret}@127.0.0.1:${port}/test?timeoutMs=300`]),
      sess(['doctor', `mysql://root:${secret}@127.0.0.1:3306/test?timeoutMs=2000`]),
      sess(['stats', `mysql://root:${secret}@127.0.0.1:3306/test?bogus=${secret}`]),
      sess([
        'migrate',
        `redis://:${secret}@127.0.0.1:${port}`,
        `redis://:${secret}@127.0.0.1:${port}`,
      ]),
    ]);
    for (const run of runs) {
      expect(run.code).not.toBe(0);
      expect(`${run.stdout}${run.stderr}`).not.toContain(secret);
      expect(`${run.stdout}${run.stderr}`).not.toContain(encodeURIComponent(secret));
    }
  });

  it('--help documents every command with an example', async () => {
    const run = await sess(['--help']);
    expect(run.code).toBe(0);
    for (const command of [
      'stats',
      'list',
      'show',
      'destroy',
      'logout-user',
      'sweep',
      'migrate',
      'doctor',
    ]) {
      expect(run.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
      expect(run.stdout).toMatch(new RegExp(`sess ${command} `));
    }
    expect(run.stdout).toContain('Exit status: 0 ok, 1 failure');
  });
});
