import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';
import { DELIBERATE_LEAK } from './test/support/broken-stores.js';

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      // One broken store leaks a rejection on purpose, to prove the suite notices.
      onUnhandledError: (error) => !String(error?.message).includes(DELIBERATE_LEAK),
    },
  }),
);
