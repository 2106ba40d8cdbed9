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
import { type AppProcess, startAppProcess } from '../app-process.js';
import { cliArgs } from '../cli-args.js';
import { type HttpLoadResult, type HttpStep, httpLoad } from '../http-load.js';
import { postgresScratch, postgresServer, redisServer } from '../servers.js';
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
import { cellTable, type HttpRow, ratioTable, writeHttpResults } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Concurrent connections; each is a visitor with a session of its own. */
const CONNECTIONS = 64;
const { values: args } = parseArgs({
  args: cliArgs(),
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
    const server = await postgresServer();
    const scratch = await postgresScratch(server.url);
    return {
      location: { name, postgresUrl: scratch.where },
      info: `PostgreSQL ${scratch.version} (${server.origin}), pools of 10`,
      async dispose() {
        await scratch.drop();
        await server.dispose();
      },
    };
  }
  const dir = await mkdtemp(join(tmpdir(), 'sess-bench-http-'));
  return {
    location: { name, sqliteFile: join(dir, 'sessions.db') },
    info: 'SQLite (one file, WAL, synchronous=NORMAL)',
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

const READ: HttpStep = { method: 'GET', path: '/read' };

/**
 * What a logged-in visitor does: nine reads of the session for each write,
 * or (rolling) reads only, on a server that renews every session each time.
 */
const STEPS: Record<Workload, readonly HttpStep[]> = {
  'read-mostly': [...Array.from({ length: 9 }, () => READ), { method: 'POST', path: '/write' }],
  rolling: [READ],
};

type Measured = HttpLoadResult & { readonly cpuPerRequestUs: number };

/** A login whose cookie does not bring the user back measures nothing: check one first. */
async function checkLogin(app: AppProcess, target: TargetName): Promise<void> {
  const login = await fetch(`${app.url}/login`, { method: 'POST' });
  const { user } = (await login.json()) as { user: string };
  const cookie = login.headers.getSetCookie()[0]?.split(';')[0] ?? '';
  const read = (await (await fetch(`${app.url}/read`, { headers: { cookie } })).json()) as {
    user: string | null;
  };
  if (read.user !== user) {
    throw new Error(
      `${target}: the login did not stick (${read.user} read back, ${user} logged in).`,
    );
  }
}

/** One server start: check the login, warm up, measure. */
async function measure(
  location: BackendLocation,
  workload: Workload,
  target: TargetName,
): Promise<Measured> {
  const namespace = `h${randomBytes(4).toString('hex')}`;
  const config = { target, workload, backend: location, namespace };
  const app = await startAppProcess(join(here, 'server.ts'), [JSON.stringify(config)]);
  const load = (forSeconds: number) =>
    httpLoad({
      url: app.url,
      connections: CONNECTIONS,
      seconds: forSeconds,
      login: { method: 'POST', path: '/login' },
      steps: STEPS[workload],
    });
  try {
    await checkLogin(app, target);
    await load(Math.min(2, seconds));
    const before = await app.cpuUs();
    const result = await load(seconds);
    return { ...result, cpuPerRequestUs: ((await app.cpuUs()) - before) / result.requests };
  } finally {
    await app.stop();
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
      const samples = new Map<TargetName, Measured[]>(TARGETS.map((t) => [t, []]));
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
  'load generator':
    'autocannon 8.0.0 (src/http-load.ts), in the parent process; each server in its own',
};
console.log(`\n${ratioTable(rows)}\n\n${cellTable(rows)}`);
await writeHttpResults(args.out, { machine, servers, rows });
console.log(`\nresults written to ${args.out}`);
