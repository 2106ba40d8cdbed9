/**
 * `pnpm soak`: `SessionManager` at 64 sessions in flight against each
 * backend for a bounded time, with a crash every 30 s, checking what a crash
 * may cost:
 *
 * - Server backends (PostgreSQL, MariaDB, Redis, Memcached) run on private
 *   servers, killed with SIGKILL and restarted on the same port. Embedded ones
 *   (SQLite, files) have no server: the worker process itself is killed and a
 *   new one carries on with the same sessions.
 * - Every commit the worker saw acknowledged is recorded with the counter it
 *   stored. At the end each session is read back: on a durable backend
 *   (PostgreSQL, MariaDB, SQLite, files) its counter must be at least the last
 *   acknowledged one: no acknowledged write is lost. Redis (no persistence
 *   here) and Memcached lose everything on a kill by design; their losses are
 *   reported, not failed.
 * - No unhandled rejection, and heap and RSS stay flat: the slope of a linear
 *   fit over the worker's life (after a warm-up) is reported in KiB per
 *   minute; for embedded backends, whose worker is killed, the median over
 *   the worker processes.
 *
 * After building: `pnpm soak [--minutes 5] [--kill-every 30] [--backend postgres,...]`.
 * Exits non-zero when a durable backend lost a write or anything went unhandled.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SessionManager } from '@sess/core';
import { startMariadb, startMemcached, startPostgres, startRedis } from '@sess/test-servers';
import { openStore } from '@sess/url';
import { createConnection } from 'mysql2/promise';
import { cliArgs } from './cli-args.js';
import type { WorkerJob, WorkerMessage } from './soak-worker.js';

const { values } = parseArgs({
  args: cliArgs(),
  options: {
    minutes: { type: 'string' },
    'kill-every': { type: 'string' },
    backend: { type: 'string' },
    concurrency: { type: 'string' },
  },
});
const MINUTES = Number(values.minutes ?? 5);
const KILL_EVERY_MS = Number(values['kill-every'] ?? 30) * 1000;
const CONCURRENCY = Number(values.concurrency ?? 64);
const ALL = ['postgres', 'mariadb', 'sqlite', 'file', 'redis', 'memcached'] as const;
type Backend = (typeof ALL)[number];
const chosen = (values.backend?.split(',') ?? [...ALL]) as Backend[];
for (const name of chosen) {
  if (!ALL.includes(name)) throw new Error(`Unknown backend ${name}; one of ${ALL.join(', ')}.`);
}
const DURABLE = new Set<Backend>(['postgres', 'mariadb', 'sqlite', 'file']);

interface Environment {
  readonly url: string;
  /** Crashes what a crash of this backend means: its server, or else the worker. */
  readonly killServer?: () => Promise<void>;
  readonly startServer?: () => Promise<void>;
  dispose(): Promise<void>;
}

async function environment(backend: Backend, dir: string): Promise<Environment> {
  switch (backend) {
    case 'postgres': {
      const server = await startPostgres();
      return {
        url: `${server.url}?table=soak`,
        killServer: () => server.kill(),
        startServer: () => server.start(),
        dispose: () => server.dispose(),
      };
    }
    case 'mariadb': {
      const server = await startMariadb();
      const admin = await createConnection({ host: server.host, port: server.port, user: 'root' });
      await admin.query('CREATE DATABASE soak');
      await admin.end();
      return {
        url: `mysql://root@${server.host}:${server.port}/soak?table=soak`,
        killServer: () => server.kill(),
        startServer: () => server.start(),
        dispose: () => server.dispose(),
      };
    }
    case 'redis': {
      const server = await startRedis();
      return {
        url: `${server.url}?prefix=soak:`,
        killServer: () => server.kill(),
        startServer: () => server.start(),
        dispose: () => server.dispose(),
      };
    }
    case 'memcached': {
      const server = await startMemcached();
      return {
        url: `memcached://${server.location}?prefix=soak:`,
        killServer: () => server.kill(),
        startServer: () => server.start(),
        dispose: () => server.dispose(),
      };
    }
    case 'sqlite':
      return { url: `sqlite:${join(dir, 'soak.db')}`, dispose: async () => {} };
    case 'file':
      return { url: `file:${join(dir, 'sessions')}`, dispose: async () => {} };
  }
}

interface Outcome {
  readonly backend: Backend;
  readonly kills: number;
  readonly acknowledged: number;
  readonly failed: number;
  /** Sessions read back behind their last acknowledged counter. */
  readonly lost: number;
  /** Sessions the worker found gone while it ran (a new one was started in their place). */
  readonly vanished: number;
  readonly unhandled: string[];
  readonly heapSlopeKiBPerMin: number;
  readonly rssSlopeKiBPerMin: number;
}

/** Least-squares slope of `points` (ms, bytes), in KiB per minute. */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((sum, [x]) => sum + x, 0) / n;
  const my = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : ((num / den) * 60_000) / 1024;
}

/** The median slope of the series (one per worker process that lived long enough). */
function medianSlope(series: ReadonlyArray<ReadonlyArray<readonly [number, number]>>): number {
  const slopes = series
    .filter((points) => points.length >= 5)
    .map(slope)
    .sort((a, b) => a - b);
  return slopes.length === 0 ? 0 : (slopes[Math.floor(slopes.length / 2)] as number);
}

async function soak(backend: Backend): Promise<Outcome> {
  const dir = await mkdtemp(join(tmpdir(), `sess-soak-${backend}-`));
  const env = await environment(backend, dir);
  const sessions: Array<{ token: string; acked: number } | null> = Array.from(
    { length: CONCURRENCY },
    () => null,
  );
  const unhandled: string[] = [];
  // One series per worker process: a crash of the worker starts a new one.
  const heap: Array<Array<[number, number]>> = [[]];
  const rss: Array<Array<[number, number]>> = [[]];
  const started = Date.now();
  const warmUpMs = Math.min(30_000, KILL_EVERY_MS / 3, MINUTES * 6_000);
  let workerStarted = started;
  let acknowledged = 0;
  let failed = 0;
  let kills = 0;
  let vanished = 0;

  const startWorker = async (): Promise<ChildProcess> => {
    const job: WorkerJob = { url: env.url, concurrency: CONCURRENCY, sessions };
    const child = fork(new URL('./soak-worker.ts', import.meta.url), [JSON.stringify(job)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'ack': {
          acknowledged++;
          const known = sessions[message.loop];
          // A new token for a loop means the store lost its session: the
          // worker started another one, whose counter starts again.
          if (known && known.token !== message.token) vanished++;
          if (!known || known.token !== message.token || message.counter > known.acked) {
            sessions[message.loop] = { token: message.token, acked: message.counter };
          }
          break;
        }
        case 'failed':
          failed++;
          break;
        case 'memory': {
          const at = Date.now() - workerStarted;
          if (at > warmUpMs) {
            heap.at(-1)?.push([at, message.heapUsed]);
            rss.at(-1)?.push([at, message.rss]);
          }
          break;
        }
        case 'unhandled':
          unhandled.push(message.message);
          break;
      }
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the soak worker exited with ${code}`)));
    });
    return child;
  };

  const stopWorker = async (child: ChildProcess, how: 'kill' | 'stop') => {
    const exited = new Promise((resolve) => child.once('close', resolve));
    if (how === 'kill') child.kill('SIGKILL');
    else child.send('stop');
    await exited;
  };

  let worker = await startWorker();
  const end = started + MINUTES * 60_000;
  try {
    while (Date.now() + KILL_EVERY_MS < end) {
      await new Promise((resolve) => setTimeout(resolve, KILL_EVERY_MS));
      kills++;
      if (env.killServer && env.startServer) {
        await env.killServer();
        await new Promise((resolve) => setTimeout(resolve, 1_000)); // a real outage, not a blip
        await env.startServer();
      } else {
        // No server: the crash is the application's own process.
        await stopWorker(worker, 'kill');
        heap.push([]);
        rss.push([]);
        workerStarted = Date.now();
        worker = await startWorker();
      }
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, end - Date.now())));
    await stopWorker(worker, 'stop');

    // Read every session back through a fresh store.
    const opened = await openStore(env.url, { mode: 'use' });
    const manager = new SessionManager({ store: opened.store });
    let lost = 0;
    for (const known of sessions) {
      if (!known) continue;
      const session = await manager.load(known.token);
      const stored = (session.get('counter') as number | undefined) ?? 0;
      if (stored < known.acked) lost++;
    }
    await opened.close();
    return {
      backend,
      kills,
      acknowledged,
      failed,
      lost,
      vanished,
      unhandled,
      heapSlopeKiBPerMin: medianSlope(heap),
      rssSlopeKiBPerMin: medianSlope(rss),
    };
  } finally {
    if (worker.exitCode === null && worker.signalCode === null) await stopWorker(worker, 'kill');
    await env.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

const outcomes: Outcome[] = [];
for (const backend of chosen) {
  console.log(`soak: ${backend}, ${MINUTES} min, a crash every ${KILL_EVERY_MS / 1000} s...`);
  const outcome = await soak(backend);
  outcomes.push(outcome);
  console.log(
    `  ${outcome.kills} crashes survived, ${outcome.acknowledged} writes acknowledged, ${outcome.lost + outcome.vanished} sessions lost, ${outcome.failed} commits failed during outages, ${outcome.unhandled.length} unhandled; heap ${outcome.heapSlopeKiBPerMin.toFixed(0)} KiB/min, RSS ${outcome.rssSlopeKiBPerMin.toFixed(0)} KiB/min`,
  );
}

console.log(
  '\n| backend | durable | crashes | writes acknowledged | sessions lost | commits failed in outages | unhandled | heap slope (KiB/min) | RSS slope (KiB/min) |',
);
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
for (const o of outcomes) {
  console.log(
    `| ${o.backend} | ${DURABLE.has(o.backend) ? 'yes' : 'no'} | ${o.kills} | ${o.acknowledged} | ${o.lost + o.vanished} | ${o.failed} | ${o.unhandled.length} | ${o.heapSlopeKiBPerMin.toFixed(0)} | ${o.rssSlopeKiBPerMin.toFixed(0)} |`,
  );
}
const broken = outcomes.filter(
  (o) => o.unhandled.length > 0 || (DURABLE.has(o.backend) && o.lost + o.vanished > 0),
);
for (const o of broken) {
  console.error(
    `${o.backend}: ${o.lost + o.vanished} lost, unhandled: ${o.unhandled.slice(0, 3).join('; ')}`,
  );
}
process.exitCode = broken.length > 0 ? 1 : 0;
