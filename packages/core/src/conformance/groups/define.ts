import type { ConformanceContext } from '../context.js';

/** What a test needs beyond the core contract; without it the test is reported as skipped. */
export type Requirement =
  | 'list'
  | 'count'
  | 'users'
  | 'clear'
  | 'sweep'
  | 'native'
  | 'faults'
  | 'corrupt'
  | 'foreign';

export interface TestSpec {
  readonly requires?: readonly Requirement[];
  /** Runs on real time even when the store takes an injected clock. */
  readonly realTime?: boolean;
  /** Never overlaps another exclusive test of the same run (they stop the backend). */
  readonly exclusive?: boolean;
  readonly run: (t: ConformanceContext) => Promise<void>;
}

/** Declares a group; the keys are the test names, so `skip` can be type-checked. */
export function defineTests<const T extends Record<string, TestSpec>>(tests: T): T {
  return tests;
}
