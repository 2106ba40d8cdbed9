import { memoryStore } from './memory-store.common.mjs';
import { scope } from './stryker.common.mjs';

/** MemoryStore's option parsing, LRU eviction and sweeper against its own tests. */
export default scope('memory-store-internals', {
  mutate: memoryStore.apart,
  vitest: { configFile: 'mutation/vitest.memory-store-internals.ts', related: false },
});
