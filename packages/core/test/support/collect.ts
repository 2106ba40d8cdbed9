import type { RunConformanceOptions } from '../../src/conformance/index.js';
import { runStoreConformance } from '../../src/conformance/index.js';

export interface Outcome {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  error?: unknown;
}

class Skipped extends Error {}

/**
 * Runs the suite outside any test runner: registers every test with a
 * collecting `test` function, then runs them one by one and reports each
 * outcome. Lets a test assert that the suite *fails* a given store.
 */
export async function runSuite(options: Omit<RunConformanceOptions, 'test'>): Promise<Outcome[]> {
  const registered: Array<{ name: string; fn: (context: unknown) => Promise<void> }> = [];
  const test = (name: string, fn: (context: unknown) => Promise<void>) => {
    registered.push({ name, fn });
  };
  runStoreConformance({ ...options, test });
  const outcomes: Outcome[] = [];
  for (const { name, fn } of registered) {
    const context = {
      skip: () => {
        throw new Skipped();
      },
    };
    try {
      await fn(context);
      outcomes.push({ name, status: 'passed' });
    } catch (error) {
      outcomes.push(
        error instanceof Skipped ? { name, status: 'skipped' } : { name, status: 'failed', error },
      );
    }
  }
  return outcomes;
}
