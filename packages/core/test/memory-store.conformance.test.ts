import { describe, it } from 'vitest';
import { runStoreConformance } from '../src/conformance/index.js';
import { MemoryStore } from '../src/index.js';

describe('MemoryStore passes the conformance suite', () => {
  runStoreConformance({
    test: it.concurrent,
    createStore: ({ now }) => ({
      store: new MemoryStore({ maxPayloadBytes: 64 * 1024, ...(now ? { now } : {}) }),
    }),
  });
});
