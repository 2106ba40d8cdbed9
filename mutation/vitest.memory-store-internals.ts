import { defineConfig } from 'vitest/config';
import { coreFromSource, repoRoot, testDefaults } from './vitest.common.js';

/** MemoryStore's own tests, and the sweeper and session suites on MemoryStore (on core's source). */
export default defineConfig({
  root: repoRoot,
  resolve: { alias: coreFromSource },
  test: {
    ...testDefaults,
    include: [
      'packages/core/test/memory-store.test.ts',
      'tools/session-suite/test/memory-store.test.ts',
    ],
  },
});
