/**
 * pnpm bench:http [--quick] [--backends redis,postgres,sqlite] [--seconds S] [--rounds R] [--out DIR]
 *
 * End to end over real HTTP: the same app on Express and on Fastify, with
 * sess, with the popular session middleware and its usual store, and with no
 * sessions at all, driven by autocannon at 64 connections. Each server runs
 * in a process of its own; the targets take turns, their order rotating each
 * round, so drift on a shared machine hits them all alike.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { postgresScratch, redisServer } from '../servers.js';
import { median } from '../stats.js';
import {
  BACKENDS,
  type BackendLocation,
  type BackendName,
  TARGETS,
  type TargetName,
  WORKLOADS,
  type Workload,
} from './config.js';
import { CONNECTIONS, drive, type LoadResult, logIn, startServer } from './load.js';
import { cellTable, type HttpRow, ratioTable, writeHttpResults } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    backends: { type: 'string' },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    out: { type: 'string', default: join(here, '..', '..', 'results') },
  },
});
const seconds = Number(args.seconds ?? (args.quick ? 1 : 10));
const rounds = Number(args.rounds ?? (args.quick ? 1 : 3));
const backends = (args.backends?.split(',') ??
  (args.quick ? ['sqlite'] : [...BACKENDS])) as BackendName[];
const unknown = backends.filter((b) => !BACKENDS.includes(b));
if (unknown.length > 0) throw new Error(`Unknown backends: ${unknown.join(', ')}`);

/** Starts (or finds) the backend's server; `dispose` stops what was started. */
async function openBackend(
  name: BackendName,
): Promise<{ location: BackendLocation; info: string; dispose(): Promise<void> }> {
  if (name === 'redis') {
    const server = await redisServer();
    return {
      location: { name, redisUrl: server.url },
      info: `redis (${server.origin})`,
      dispose: () => server.dispose(),
    };
  }
  if (name === 'postgres') {
    const server = await postgresScratch();
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const { rows } = await client.query('SHOW server_version');
    await client.end();
    return {
      location: { name, postgresUrl: server.url },
      info: `PostgreSQL ${rows[0]?.server_version} (${server.origin}), pools of 10`,
      dispose: () => server.dispose(),
    };
  }
  const dir = await mkdtemp(join(tmpdir(), 'sess-bench-http-'));
  return {
    location: { name, sqliteFile: join(dir, 'sessions.db') },
    info: 'SQLite (one file, WAL, synchronous=NORMAL)',
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** One server start: log the users in, warm up, measure. */
async function measure(
  location: BackendLocation,
  workload: Workload,
  target: TargetName,
): Promise<LoadResult> {
  const namespace = `h${randomBytes(4).toString('hex')}`;
  const server = await startServer({ target, workload, backend: location, namespace });
  try {
    const cookies = await logIn(server.url, !target.endsWith('-none'));
    await drive(server, workload, cookies, Math.min(2, seconds));
    return await drive(server, workload, cookies, seconds);
  } finally {
    await server.stop();
  }
}

const rows: HttpRow[] = [];
const servers: Record<string, string> = {};
console.log(
  `sess HTTP bench: ${backends.join(', ')}; ${rounds} rounds of ${seconds} s per cell at ${CONNECTIONS} connections\n`,
);
for (const name of backends) {
  const backend = await openBackend(name);
  servers[name] = backend.info;
  try {
    for (const workload of WORKLOADS) {
      const samples = new Map<TargetName, LoadResult[]>(TARGETS.map((t) => [t, []]));
      for (let round = 0; round < rounds; round++) {
        for (let i = 0; i < TARGETS.length; i++) {
          const target = TARGETS[(i + round) % TARGETS.length] as TargetName;
          const result = await measure(backend.location, workload, target);
          samples.get(target)?.push(result);
          console.log(
            `${name} ${workload} ${target}: ${Math.round(result.requestsPerSec)} req/s, p99 ${result.p99Ms} ms, ${Math.round(result.cpuPerRequestUs)} µs CPU/request${result.failures ? `, ${result.failures} failed` : ''}`,
          );
        }
      }
      for (const [target, runs] of samples) {
        rows.push({
          backend: name,
          workload,
          target,
          requestsPerSec: median(runs.map((r) => r.requestsPerSec)),
          cpuPerRequestUs: median(runs.map((r) => r.cpuPerRequestUs)),
          p50Ms: median(runs.map((r) => r.p50Ms)),
          p99Ms: median(runs.map((r) => r.p99Ms)),
          failures: runs.reduce((sum, r) => sum + r.failures, 0),
        });
      }
    }
  } finally {
    await backend.dispose();
  }
}

const machine = {
  date: new Date().toISOString(),
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
  memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
  node: process.version,
  connections: CONNECTIONS,
  'seconds per cell': seconds,
  rounds: `${rounds} (medians)`,
  'load generator': 'autocannon 9.0.0, in the parent process; each server in its own',
};
console.log(`\n${ratioTable(rows)}\n\n${cellTable(rows)}`);
await writeHttpResults(args.out, { machine, servers, rows });
console.log(`\nresults written to ${args.out}`);
