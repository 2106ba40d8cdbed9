import { defineConfig } from 'vitest/config';
import { coreFromSource, repoRoot, testDefaults } from './vitest.common.js';

/**
 * The session lifecycle's tests: core's own session tests and the session
 * suite on MemoryStore, both on core's source (not its build), so a mutant
 * in `packages/core/src/session` reaches them.
 */
export default defineConfig({
  root: repoRoot,
  resolve: { alias: coreFromSource },
  test: {
    ...testDefaults,
    include: ['packages/core/test/session/**/*.test.ts', 'tools/session-suite/test/**/*.test.ts'],
  },
});
