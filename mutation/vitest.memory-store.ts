import { defineConfig } from 'vitest/config';
import { repoRoot, testDefaults } from './vitest.common.js';

/** The conformance suite on MemoryStore, and nothing else. */
export default defineConfig({
  root: repoRoot,
  test: { ...testDefaults, include: ['packages/core/test/memory-store.conformance.test.ts'] },
});
