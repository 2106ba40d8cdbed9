import { splitClass } from './ranges.mjs';

/**
 * MemoryStore's lines, split: what the store contract rules (measured
 * against the conformance suite alone), and option parsing, LRU eviction and
 * the sweeper, which no contract rule covers (measured against MemoryStore's
 * own tests and the sweeper suite).
 */
export const memoryStore = splitClass('packages/core/src/memory-store.ts', 'MemoryStore', {
  members: ['#sweeps', 'startSweeper', '#sweepOnce', '#markUsed', '#evictOverflow'],
  // Option parsing in the constructor (not the capabilities it declares: the
  // suite reads those), and the calls into the members above.
  pattern: /resolveCommonOptions|maxEntries|#markUsed\(|#evictOverflow\(|#sweeps\./,
});
