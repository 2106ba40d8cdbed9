import { defineConfig } from 'vitest/config';

/** Test settings every package shares: real servers take real time. */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    include: ['test/**/*.test.ts'],
  },
});
