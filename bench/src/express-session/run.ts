/**
 * pnpm bench:express-session [--quick] [--backends redis,file] [--seconds S] [--rounds R] [--out DIR]
 *
 * express-session over SessStore (on each sess adapter) against
 * express-session over the store apps use on that backend today, through a
 * real Express app over real HTTP, 64 connections, autocannon as the client.
 * Each target runs in an app process of its own; the runs of a backend's
 * targets are interleaved round by round so drift on a shared machine hits
 * them alike.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type AppProcess, startAppProcess } from '../app-process.js';
import { cliArgs } from '../cli-args.js';
import { type HttpLoadResult, httpLoad } from '../http-load.js';
import { median } from '../stats.js';
import { BACKENDS, type EsBackend, type Reach } from './backends.js';

const here = dirname(fileURLToPath(import.meta.url));
const benchRoot = join(here, '..', '..');
const CONNECTIONS = 64;
/** A visitor's requests: four page views that only read, then a change. */
const STEPS = [
  { method: 'GET', path: '/page' },
  { method: 'GET', path: '/page' },
  { method: 'GET', path: '/page' },
  { method: 'GET', path: '/page' },
  { method: 'POST', path: '/cart' },
] as const;

const { values: args } = parseArgs({
  args: cliArgs(),
  options: {
    quick: { type: 'boolean', default: false },
    backends: { type: 'string' },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    out: { type: 'string', default: join(benchRoot, 'results') },
  },
});
const seconds = Number(args.seconds ?? (args.quick ? 2 : 10));
const rounds = Number(args.rounds ?? (args.quick ? 1 : 3));
const wanted = args.backends?.split(',');
const unknown = wanted?.filter((name) => !BACKENDS.some((b) => b.name === name)) ?? [];
if (unknown.length > 0) throw new Error(`Unknown backends: ${unknown.join(', ')}`);
const backends = wanted ? BACKENDS.filter((b) => wanted.includes(b.name)) : BACKENDS;

/** Starts the app of one target in its own process and waits for its port. */
function startApp(backend: string, target: string, reach: Reach): Promise<AppProcess> {
  return startAppProcess(join(here, 'app.ts'), [backend, target, JSON.stringify(reach)]);
}

interface Row {
  backend: string;
  target: string;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  failures: number;
  /** CPU the app process spent per request, in microseconds: steadier than req/s on a busy machine. */
  cpuUsPerRequest: number;
  /** requests/s over the peer's (the backend's second target). */
  vsPeer?: number;
}

async function benchBackend(
  backend: EsBackend,
): Promise<{ rows: Row[]; info: Record<string, string> }> {
  const prepared = await backend.prepare();
  const apps = new Map<string, AppProcess>();
  try {
    for (const target of backend.targets) {
      apps.set(target, await startApp(backend.name, target, prepared.reach));
    }
    const load = async (target: string, forSeconds: number) => {
      const app = apps.get(target) as AppProcess;
      const before = await app.cpuUs();
      const result = await httpLoad({
        url: app.url,
        connections: CONNECTIONS,
        seconds: forSeconds,
        login: { method: 'POST', path: '/login' },
        steps: STEPS,
      });
      return { ...result, cpuUsPerRequest: ((await app.cpuUs()) - before) / result.requests };
    };
    for (const target of backend.targets) await load(target, Math.min(2, seconds)); // warm-up
    const runs = new Map<string, Array<HttpLoadResult & { cpuUsPerRequest: number }>>(
      backend.targets.map((t) => [t, []]),
    );
    for (let round = 0; round < rounds; round++) {
      const order = backend.targets.map(
        (_, i) => backend.targets[(i + round) % backend.targets.length] as string,
      );
      for (const target of order) runs.get(target)?.push(await load(target, seconds));
    }
    const rows = backend.targets.map((target): Row => {
      const results = runs.get(target) ?? [];
      return {
        backend: backend.name,
        target,
        requestsPerSec: median(results.map((r) => r.requestsPerSec)),
        p50Ms: median(results.map((r) => r.p50Ms)),
        p99Ms: median(results.map((r) => r.p99Ms)),
        requests: results.reduce((sum, r) => sum + r.requests, 0),
        failures: results.reduce((sum, r) => sum + r.failures, 0),
        cpuUsPerRequest: median(results.map((r) => r.cpuUsPerRequest)),
      };
    });
    const peer = rows[1]?.requestsPerSec ?? 0;
    for (const row of rows)
      if (row.target !== rows[1]?.target) row.vsPeer = row.requestsPerSec / peer;
    return { rows, info: prepared.info };
  } finally {
    for (const app of apps.values()) await app.stop();
    await prepared.teardown();
  }
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function markdownTable(rows: Row[]): string {
  const lines = [
    '| backend | store under express-session | req/s | vs peer | p50 ms | p99 ms | app CPU µs/req | failed |',
    '| --- | --- | --: | --: | --: | --: | --: | --: |',
  ];
  for (const r of rows) {
    const ratio = r.vsPeer === undefined ? '' : `${r.vsPeer.toFixed(2)}×`;
    lines.push(
      `| ${r.backend} | ${r.target} | ${fmt(r.requestsPerSec)} | ${ratio} | ${fmt(r.p50Ms, 1)} | ${fmt(r.p99Ms, 1)} | ${fmt(r.cpuUsPerRequest)} | ${r.failures} |`,
    );
  }
  return lines.join('\n');
}

const machine = {
  date: new Date().toISOString(),
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  connections: CONNECTIONS,
  seconds,
  rounds,
};
console.log(
  `express-session bench: ${backends.map((b) => b.name).join(', ')}; ${CONNECTIONS} connections, ${rounds} rounds of ${seconds} s\n`,
);
const results = [];
const allRows: Row[] = [];
for (const backend of backends) {
  const { rows, info } = await benchBackend(backend);
  console.log(`${markdownTable(rows)}\n`);
  results.push({ backend: backend.name, info, rows });
  allRows.push(...rows);
}
await mkdir(args.out, { recursive: true });
await writeFile(
  join(args.out, 'express-session.json'),
  `${JSON.stringify({ machine, results }, null, 2)}\n`,
);
await writeFile(
  join(args.out, 'express-session.md'),
  `# express-session: SessStore against the stores apps use today\n\n${machine.date}, Node ${machine.node}, ${machine.cpus} × ${machine.cpuModel}; ${CONNECTIONS} connections, median of ${rounds} runs of ${seconds} s.\n\n${markdownTable(allRows)}\n\n${results
    .map(
      (r) =>
        `- **${r.backend}**: ${Object.entries(r.info)
          .map(([k, v]) => `${k} ${v}`)
          .join('; ')}`,
    )
    .join('\n')}\n`,
);
console.log(`results written to ${args.out}`);
