import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      // Bundles the scripts that tests run in child processes.
      globalSetup: ['test/support/global-setup.ts'],
    },
  }),
);
