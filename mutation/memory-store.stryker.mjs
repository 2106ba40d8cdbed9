import { memoryStore } from './memory-store.common.mjs';
import { scope } from './stryker.common.mjs';

/** MemoryStore's contract methods against the conformance suite alone: the suite's strength. */
export default scope('memory-store', {
  mutate: memoryStore.rest,
  vitest: { configFile: 'mutation/vitest.memory-store.ts', related: false },
});
