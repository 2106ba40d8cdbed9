import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findBinary } from './binaries.js';
import { freePort, LOOPBACK, type ManagedProcess, manageProcess } from './process.js';

const run = promisify(execFile);

export interface MariadbServer extends ManagedProcess {
  readonly host: string;
  /** `root` with an empty password. */
  readonly user: string;
}

/** Server binaries usually live in sbin, which a non-root PATH may lack. */
const SBIN = ['/usr/sbin', '/usr/local/sbin'];

/**
 * A private MariaDB (or MySQL) server on a free loopback port, with its own
 * data directory and socket in a temporary directory and no fsync at commit
 * (a killed server still keeps every acknowledged commit). `kill()` is SIGKILL, a crash; InnoDB recovers on `start()`.
 */
export async function startMariadb(extraArgs: readonly string[] = []): Promise<MariadbServer> {
  const server = findBinary(['mariadbd', 'mysqld'], SBIN);
  const installDb = findBinary(['mariadb-install-db', 'mysql_install_db'], SBIN);
  if (!server || !installDb) {
    throw new Error(
      'MariaDB binaries (mariadbd, mariadb-install-db) were not found on PATH or in sbin.',
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'sess-mariadb-'));
  const data = join(dir, 'data');
  const user = userInfo().username;
  await run(installDb, [
    '--no-defaults',
    `--datadir=${data}`,
    `--user=${user}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
  ]);
  const port = await freePort();
  const managed = await manageProcess({
    command: server,
    args: [
      '--no-defaults',
      `--datadir=${data}`,
      `--socket=${join(dir, 'mysqld.sock')}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--log-error=${join(dir, 'error.log')}`,
      `--port=${port}`,
      `--bind-address=${LOOPBACK}`,
      `--user=${user}`,
      '--skip-name-resolve',
      '--skip-log-bin',
      '--innodb-buffer-pool-size=32M',
      // 2: the log reaches the OS at every commit, so a killed server loses nothing.
      '--innodb-flush-log-at-trx-commit=2',
      '--innodb-doublewrite=0',
      ...extraArgs,
    ],
    port,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  });
  return { ...managed, host: LOOPBACK, user: 'root' };
}
