/**
 * pnpm bench [--quick] [--backends redis,sql-sqlite] [--sessions N] [--rounds R] [--sweep 10000,100000] [--out DIR]
 *
 * Measures every backend's sess store against its raw driver and its peers,
 * on the same servers in one run, with the cases interleaved so drift on a
 * shared machine hits all of them alike.
 */
import { readdir } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cliArgs } from './cli-args.js';
import { PHASES, type Phase, type PhaseResult, runPhase } from './phases.js';
import { markdownTable, type Row, withRatios, writeResults } from './report.js';
import { median } from './stats.js';
import { runSweeps, type SweepResult } from './sweep.js';
import type { BenchBackend, BenchTarget } from './target.js';

const here = dirname(fileURLToPath(import.meta.url));
const CONCURRENCY = [1, 64] as const;

const { values: args } = parseArgs({
  args: cliArgs(),
  options: {
    quick: { type: 'boolean', default: false },
    backends: { type: 'string' },
    sessions: { type: 'string' },
    rounds: { type: 'string' },
    sweep: { type: 'string' },
    out: { type: 'string', default: join(here, '..', 'results') },
  },
});
const sessions = Number(args.sessions ?? (args.quick ? 50 : 5_000));
const rounds = Number(args.rounds ?? (args.quick ? 1 : 5));
const sweepSizes = (args.sweep ?? (args.quick ? '1000' : '10000,100000,1000000'))
  .split(',')
  .filter(Boolean)
  .map(Number);

/** Every file in targets/ that exports `backend` is a backend. */
async function discoverBackends(): Promise<BenchBackend[]> {
  const found: BenchBackend[] = [];
  for (const file of (await readdir(join(here, 'targets'))).sort()) {
    if (!/\.ts$/.test(file)) continue;
    const module = (await import(join(here, 'targets', file))) as { backend?: BenchBackend };
    if (module.backend) found.push(module.backend);
  }
  const wanted = args.backends?.split(',');
  const unknown = wanted?.filter((name) => !found.some((b) => b.name === name)) ?? [];
  if (unknown.length > 0) throw new Error(`Unknown backends: ${unknown.join(', ')}`);
  return wanted ? found.filter((b) => wanted.includes(b.name)) : found;
}

let cycle = 0;
function idsFor(targetIndex: number, count: number): string[] {
  cycle++;
  return Array.from({ length: count }, (_, i) => `b${cycle}_${targetIndex}_${i}`);
}

/** One full create → destroy cycle per target, phases interleaved across targets. */
async function cycleOnce(
  targets: BenchTarget[],
  count: number,
  concurrency: number,
  rotation: number,
): Promise<Map<string, Map<Phase, PhaseResult>>> {
  const order = targets.map((_, i) => targets[(i + rotation) % targets.length] as BenchTarget);
  const ids = new Map(order.map((t) => [t, idsFor(targets.indexOf(t), count)]));
  const results = new Map(targets.map((t) => [t.name, new Map<Phase, PhaseResult>()]));
  for (const phase of PHASES) {
    for (const target of order) {
      results
        .get(target.name)
        ?.set(phase, await runPhase(target, phase, ids.get(target) ?? [], concurrency));
    }
  }
  return results;
}

async function benchBackend(backend: BenchBackend) {
  const setup = await backend.setup();
  try {
    const { targets } = setup;
    await cycleOnce(targets, Math.max(20, Math.floor(sessions / 5)), 8, 0); // warm-up
    const samples = new Map<string, PhaseResult[]>();
    for (let round = 0; round < rounds; round++) {
      for (const concurrency of CONCURRENCY) {
        const results = await cycleOnce(targets, sessions, concurrency, round);
        for (const [target, phases] of results) {
          for (const [phase, result] of phases) {
            const key = `${target}|${phase}|${concurrency}`;
            samples.set(key, [...(samples.get(key) ?? []), result]);
          }
        }
      }
    }
    const rows: Row[] = [];
    for (const target of targets) {
      for (const phase of PHASES) {
        for (const concurrency of CONCURRENCY) {
          const runs = samples.get(`${target.name}|${phase}|${concurrency}`) ?? [];
          rows.push({
            backend: backend.name,
            target: target.name,
            role: target.role,
            phase,
            concurrency,
            opsPerSec: median(runs.map((r) => r.opsPerSec)),
            p50Us: median(runs.map((r) => r.p50Us)),
            p99Us: median(runs.map((r) => r.p99Us)),
          });
        }
      }
    }
    const sweeps: SweepResult[] = setup.sweeps
      ? await runSweeps(backend.name, setup.sweeps, sweepSizes)
      : [];
    const bytesPerSession = await setup.memoryPerSession?.();
    return { rows: withRatios(rows), sweeps, info: setup.info, bytesPerSession };
  } finally {
    for (const target of setup.targets) await target.close();
    await setup.teardown();
  }
}

const backends = await discoverBackends();
const machine = {
  date: new Date().toISOString(),
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  sessions,
  rounds,
};
console.log(
  `sess bench: ${backends.map((b) => b.name).join(', ')}; ${sessions} sessions, ${rounds} rounds\n`,
);

const results = [];
for (const backend of backends) {
  console.log(`== ${backend.name}`);
  const result = await benchBackend(backend);
  console.log(`${markdownTable(result.rows)}\n`);
  for (const s of result.sweeps) {
    console.log(
      `sweep ${s.name}: ${s.size} expired in ${s.ms.toFixed(0)} ms (${s.removed} removed); readers' p99 ${s.readerP99Us.toFixed(0)} µs over ${s.reads} reads`,
    );
  }
  if (result.bytesPerSession !== undefined)
    console.log(`memory per session: ${result.bytesPerSession} bytes`);
  results.push({ backend: backend.name, ...result });
}

await writeResults(args.out, { machine, results });
console.log(`results written to ${args.out}`);
