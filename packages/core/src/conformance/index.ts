/**
 * The sess store conformance suite. It registers one test per rule of the
 * store contract through the runner's own `test` function and asserts with
 * `node:assert/strict`, so it runs under vitest, node:test or jest alike.
 *
 * @example
 * import { it } from 'vitest';
 * import { runStoreConformance } from '@sess/core/conformance';
 *
 * runStoreConformance({
 *   test: it,
 *   createStore: ({ namespace }) => ({ store: new MyStore({ client, prefix: namespace }) }),
 * });
 */
import type { StoreCapabilities } from '../contract.js';
import { InvalidOptionError } from '../errors.js';
import {
  afterwards,
  createContext,
  manualClock,
  nextNamespace,
  type ResolvedTiming,
  StoreScope,
} from './context.js';
import {
  type ConformanceGroupName,
  conformanceGroups,
  type Requirement,
  type TestSpec,
} from './groups/index.js';
import type { ConformanceOptions } from './options.js';

export { afterwards, type ConformanceContext, type ManualClock } from './context.js';
export type {
  ConformanceGroupName,
  ConformanceTestName,
  Requirement,
  TestSpec,
} from './groups/index.js';
export { conformanceGroups } from './groups/index.js';
export { listAll } from './groups/listing.js';
export type {
  ConformanceFaults,
  ConformanceOptions,
  ConformanceTestFunction,
  ConformanceTiming,
  CorruptContext,
  StoreFactoryContext,
  StoreHandle,
} from './options.js';

export interface RunConformanceOptions extends ConformanceOptions {
  /** Run only these groups (all by default). */
  readonly groups?: readonly ConformanceGroupName[];
}

/** Registers the whole suite (or the chosen groups) with the runner. */
export function runStoreConformance(options: RunConformanceOptions): void {
  checkOptions(options);
  const timing = resolveTiming(options);
  const skip: Partial<Record<string, string>> = options.skip ?? {};
  let exclusive: Promise<unknown> = Promise.resolve();
  const learned: Learned = {};
  const groups = options.groups ?? (Object.keys(conformanceGroups) as ConformanceGroupName[]);

  for (const group of groups) {
    for (const [name, spec] of Object.entries(conformanceGroups[group]) as Array<
      [string, TestSpec]
    >) {
      const reason = skip[name] ?? missingHook(spec, options);
      const body = async (runnerContext: unknown) => {
        if (reason !== undefined) return skipAtRunTime(runnerContext, reason);
        const run = () => runOne(spec, options, timing, learned, runnerContext);
        if (!spec.exclusive) return run();
        // Tests that stop the backend never overlap, even under it.concurrent.
        const turn = exclusive.then(run);
        exclusive = turn.catch(() => undefined);
        return turn;
      };
      if (reason !== undefined && options.test.skip) {
        options.test.skip(`${name} (skipped: ${reason})`, body);
      } else {
        options.test(name, body);
      }
    }
  }
}

/** What the suite has learned of the store kind from the first store it opened. */
interface Learned {
  expiry?: StoreCapabilities['expiry'];
}

async function runOne(
  spec: TestSpec,
  options: ConformanceOptions,
  timing: ResolvedTiming,
  learned: Learned,
  runnerContext: unknown,
): Promise<void> {
  // A store that decides expiry itself gets a clock the suite controls, unless
  // the test is about real time. Whether it does is known once one store of
  // the kind has been opened; until then a store opened without a clock is
  // replaced when it turns out to need one.
  const wantsClock = () => learned.expiry === 'sweep' && !spec.realTime;
  let clock = wantsClock() ? manualClock() : undefined;
  let scope = new StoreScope(options, clock);
  await afterwards(
    async () => {
      let namespace = nextNamespace();
      let handle = await scope.open(namespace);
      const firstOfItsKind = learned.expiry === undefined;
      learned.expiry = handle.store.capabilities.expiry;
      if (firstOfItsKind && wantsClock()) {
        await scope.closeAll();
        clock = manualClock();
        scope = new StoreScope(options, clock);
        namespace = nextNamespace();
        handle = await scope.open(namespace);
      }
      const unmet = unmetRequirement(spec.requires ?? [], handle.store.capabilities);
      if (unmet !== undefined) {
        skipAtRunTime(runnerContext, unmet);
        return;
      }
      await spec.run(createContext(handle, namespace, scope, clock, timing, options));
    },
    () => scope.closeAll(),
  );
}

function unmetRequirement(
  requires: readonly Requirement[],
  capabilities: StoreCapabilities,
): string | undefined {
  for (const requirement of requires) {
    switch (requirement) {
      case 'sweep':
      case 'native':
        if (capabilities.expiry !== requirement) {
          return `the store's expiry is '${capabilities.expiry}', not '${requirement}'`;
        }
        break;
      case 'faults':
      case 'corrupt':
      case 'foreign':
        break;
      default:
        if (!capabilities[requirement])
          return `the store does not declare capabilities.${requirement}`;
    }
  }
  return undefined;
}

function missingHook(spec: TestSpec, options: ConformanceOptions): string | undefined {
  if (spec.requires?.includes('faults') && !options.faults) return 'no faults hook was given';
  if (spec.requires?.includes('corrupt') && !options.corrupt) return 'no corrupt hook was given';
  if (spec.requires?.includes('foreign') && !options.foreign) return 'no foreign hook was given';
  return undefined;
}

/** Reports a test as skipped through the runner's context (vitest, node:test). */
function skipAtRunTime(runnerContext: unknown, reason: string): void {
  const skip = (runnerContext as { skip?: unknown } | undefined)?.skip;
  if (typeof skip === 'function') skip.call(runnerContext, reason);
}

function resolveTiming(options: ConformanceOptions): ResolvedTiming {
  const fromEnv = Number(globalThis.process?.env.SESS_CONFORMANCE_TIME_SCALE);
  const scale = options.timing?.timeScale ?? (fromEnv > 0 ? fromEnv : 1);
  return {
    scale,
    slackMs: options.timing?.slackMs ?? 250,
    recoveryMs: options.timing?.recoveryMs ?? 15_000,
  };
}

const KNOWN_OPTIONS = new Set([
  'test',
  'createStore',
  'skip',
  'timing',
  'faults',
  'corrupt',
  'foreign',
  'groups',
]);

function checkOptions(options: RunConformanceOptions): void {
  if (typeof options?.test !== 'function') {
    throw new InvalidOptionError('runStoreConformance needs `test`: your runner’s it() or test().');
  }
  if (typeof options.createStore !== 'function') {
    throw new InvalidOptionError(
      'runStoreConformance needs `createStore({ namespace, now })` returning { store, dispose? }.',
    );
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new InvalidOptionError(
        key === 'capabilities'
          ? 'Capabilities are read from store.capabilities; remove the `capabilities` option.'
          : `Unknown runStoreConformance option \`${key}\`.`,
      );
    }
  }
  const known = new Set<string>(
    Object.values(conformanceGroups).flatMap((group) => Object.keys(group)),
  );
  for (const name of Object.keys(options.skip ?? {})) {
    if (!known.has(name)) throw new InvalidOptionError(`skip names an unknown test: "${name}".`);
  }
  for (const group of options.groups ?? []) {
    if (!(group in conformanceGroups)) throw new InvalidOptionError(`Unknown group "${group}".`);
  }
}
