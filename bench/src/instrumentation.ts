/**
 * pnpm --filter @sess/bench instrumentation [--quick] [--rounds R] [--ops N] [--instructions]
 *
 * What the diagnostics_channel instrumentation of @sess/core costs when
 * nobody listens: `SessionManager` on `MemoryStore`, `load` (one store
 * `get`) and `commit` of a changed session (one `update`), in two builds of
 * the same core source:
 *
 * - **instrumented**: as shipped;
 * - **plain**: the hooks compiled out (`diagnostics.ts` and `observe.ts`
 *   replaced by the no-op stand-ins in `instrumentation/`): the manager
 *   calls its store directly, as before the instrumentation.
 *
 * Time: both builds are loaded side by side in this process and alternate
 * within every round (which goes first alternates too), so load on the
 * shared machine hits both alike; a round times `ops` operations per build
 * and phase by this process's CPU time, and its ratio is instrumented over
 * plain. The report gives the median of the rounds' ratios.
 *
 * `--instructions` also counts instructions under valgrind's callgrind
 * (`apt-get install valgrind`), which load does not move: each build and
 * phase runs in a process of its own, once with the measured loop and once
 * without, and the difference over `ops` is the loop's count per operation.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type Plugin } from 'esbuild';
import { cliArgs } from './cli-args.js';
import type * as WorkloadModule from './instrumentation/workload.js';
import { median } from './stats.js';

type Build = 'plain' | 'instrumented';
type PhaseName = WorkloadModule.PhaseName;
const BUILDS: readonly Build[] = ['plain', 'instrumented'];
const PHASES: readonly PhaseName[] = ['get', 'commit'];

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  args: cliArgs(),
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    ops: { type: 'string' },
    instructions: { type: 'boolean', default: false },
  },
});
const rounds = Number(args.rounds ?? (args.quick ? 3 : 31));
const ops = Number(args.ops ?? (args.quick ? 500 : 5_000));

/** Points `@sess/core` at its source, without the instrumentation for the plain build. */
function coreSource(build: Build): Plugin {
  const require = createRequire(import.meta.url);
  const source = join(dirname(require.resolve('@sess/core/package.json')), 'src', 'index.ts');
  return {
    name: `core-${build}`,
    setup(plugin) {
      plugin.onResolve({ filter: /^@sess\/core$/ }, () => ({ path: source }));
      if (build === 'instrumented') return;
      plugin.onResolve({ filter: /^\.\.?\/(?:.*\/)?(?:diagnostics|observe)\.js$/ }, (resolved) => ({
        path: join(here, 'instrumentation', `without-${basename(resolved.path, '.js')}.ts`),
      }));
    },
  };
}

async function bundle(directory: string, name: Build): Promise<string> {
  const outfile = join(directory, `${name}.mjs`);
  await build({
    entryPoints: [join(here, 'instrumentation', 'workload.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile,
    plugins: [coreSource(name)],
    logLevel: 'error',
  });
  // Proof that the builds differ by the instrumentation.
  if ((await readFile(outfile, 'utf8')).includes('sess:store') !== (name === 'instrumented')) {
    throw new Error(`The ${name} build does not have the instrumentation it should.`);
  }
  return outfile;
}

/** CPU µs this process spends per operation of `run`. */
async function cpuPerOp(run: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  await run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / ops;
}

async function timeBuilds(files: Record<Build, string>): Promise<void> {
  const workloads = {} as Record<
    Build,
    { module: typeof WorkloadModule; workload: WorkloadModule.Workload }
  >;
  for (const name of BUILDS) {
    const module = (await import(pathToFileURL(files[name]).href)) as typeof WorkloadModule;
    workloads[name] = { module, workload: await module.prepare(ops) };
  }
  const samples = Object.fromEntries(
    PHASES.map((phase) => [phase, { plain: [] as number[], instrumented: [] as number[] }]),
  ) as Record<PhaseName, Record<Build, number[]>>;
  // One warm-up round, not counted.
  for (let round = -1; round < rounds; round++) {
    for (const phase of PHASES) {
      for (const name of round % 2 === 0 ? BUILDS : [...BUILDS].reverse()) {
        const { module, workload } = workloads[name];
        const perOp = await cpuPerOp(await module.phases[phase](workload));
        if (round >= 0) samples[phase][name].push(perOp);
      }
    }
  }
  console.log(`\nCPU time: ${rounds} rounds of ${ops} operations per build and phase (µs/op)\n`);
  console.log(
    '| phase | plain, median | instrumented, median | plain, best | instrumented, best | instrumented / plain, median of rounds |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const phase of PHASES) {
    const { instrumented, plain } = samples[phase];
    const ratio = median(instrumented.map((value, i) => value / (plain[i] as number)));
    console.log(
      `| ${phase} | ${median(plain).toFixed(2)} | ${median(instrumented).toFixed(2)} | ${Math.min(...plain).toFixed(2)} | ${Math.min(...instrumented).toFixed(2)} | ${ratio.toFixed(3)} (${signed((ratio - 1) * 100)}%) |`,
    );
  }
}

/** Instructions callgrind counts for one run of the workload. */
function instructions(file: string, phase: PhaseName, loop: boolean): number {
  const run = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      '--callgrind-out-file=/dev/null',
      process.execPath,
      file,
      phase,
      String(ops),
      loop ? '1' : '0',
    ],
    { encoding: 'utf8' },
  );
  const collected = /Collected : (\d+)/.exec(run.stderr)?.[1];
  if (run.status !== 0 || collected === undefined) {
    throw new Error(`callgrind failed (is valgrind installed?):\n${run.stderr.slice(-2000)}`);
  }
  return Number(collected);
}

function countInstructions(files: Record<Build, string>): void {
  console.log(`\nInstructions (callgrind), ${ops} operations, per operation\n`);
  console.log('| phase | plain | instrumented | instrumented / plain |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const phase of PHASES) {
    const perOp = {} as Record<Build, number>;
    for (const name of BUILDS) {
      perOp[name] =
        (instructions(files[name], phase, true) - instructions(files[name], phase, false)) / ops;
    }
    const ratio = perOp.instrumented / perOp.plain;
    console.log(
      `| ${phase} | ${Math.round(perOp.plain)} | ${Math.round(perOp.instrumented)} | ${ratio.toFixed(3)} (${signed((ratio - 1) * 100)}%) |`,
    );
  }
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(2)}`;
}

const directory = await mkdtemp(join(tmpdir(), 'sess-bench-instrumentation-'));
try {
  const files = {
    plain: await bundle(directory, 'plain'),
    instrumented: await bundle(directory, 'instrumented'),
  };
  await timeBuilds(files);
  if (args.instructions) countInstructions(files);
} finally {
  await rm(directory, { recursive: true, force: true });
}
