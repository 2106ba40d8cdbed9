import { execFile, execFileSync } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findBinary, tryOutput, unprivilegedUser } from './binaries.js';
import {
  freePort,
  LOOPBACK,
  type ManagedProcess,
  waitForPort,
  waitForPortClosed,
} from './process.js';

const run = promisify(execFile);

export interface PostgresServer extends ManagedProcess {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`, trust authentication. */
  readonly url: string;
}

/** The directory holding initdb and pg_ctl: PATH first, then `pg_config --bindir`. */
function postgresBinDir(): string {
  const onPath = findBinary(['pg_ctl']);
  const initdb = findBinary(['initdb']);
  if (onPath && initdb) return onPath.slice(0, -'/pg_ctl'.length);
  const bindir = tryOutput('pg_config', ['--bindir']);
  if (bindir && findBinary(['pg_ctl'], [bindir])) return bindir;
  throw new Error(
    'PostgreSQL server binaries (initdb, pg_ctl) are neither on PATH nor in `pg_config --bindir`.',
  );
}

const stopAtExit = new Set<() => void>();
process.once('exit', () => {
  for (const stop of stopAtExit) stop();
});

/**
 * A private PostgreSQL cluster on a free loopback port, in a temporary
 * directory, without fsync for speed (a killed server still keeps every
 * acknowledged commit). `kill()` is an immediate
 * shutdown (`pg_ctl stop -m immediate`, as a crash would leave it) and
 * `start()` brings it back on the same port. Runs as the `postgres` account
 * when this process is root.
 */
export async function startPostgres(
  settings: Record<string, string> = {},
): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const pgCtl = join(bin, 'pg_ctl');
  const account = unprivilegedUser('postgres');
  const as = account ? { uid: account.uid, gid: account.gid } : {};
  const dir = await mkdtemp(join(tmpdir(), 'sess-pg-'));
  if (account) await chown(dir, account.uid, account.gid);
  const data = join(dir, 'data');
  await run(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
    { ...as, cwd: dir },
  );
  const port = await freePort();
  const options = {
    listen_addresses: LOOPBACK,
    port: String(port),
    unix_socket_directories: dir,
    // Skipping fsync only risks data if the machine itself crashes; commits
    // stay synchronous so a killed server keeps every acknowledged write.
    fsync: 'off',
    full_page_writes: 'off',
    ...settings,
  };
  const serverOptions = Object.entries(options)
    .map(([key, value]) => `-c ${key}=${value}`)
    .join(' ');

  let running = false;
  const stopNow = () => {
    if (!running) return;
    running = false;
    try {
      execFileSync(pgCtl, ['stop', '-D', data, '-m', 'immediate', '-w'], {
        ...as,
        cwd: dir,
        stdio: 'ignore',
      });
    } catch {
      // already down
    }
  };
  stopAtExit.add(stopNow);

  const start = async () => {
    if (running) return;
    await run(
      pgCtl,
      ['start', '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', serverOptions],
      {
        ...as,
        cwd: dir,
      },
    );
    running = true;
    await waitForPort(port);
  };
  const kill = async () => {
    if (!running) return;
    running = false;
    await run(pgCtl, ['stop', '-D', data, '-m', 'immediate', '-w'], { ...as, cwd: dir });
    await waitForPortClosed(port);
  };

  await start();
  return {
    port,
    url: `postgres://postgres@${LOOPBACK}:${port}/postgres`,
    kill,
    start,
    async dispose() {
      await kill();
      stopAtExit.delete(stopNow);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
