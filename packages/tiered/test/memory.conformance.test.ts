import { MemoryStore } from '@sess/core';
import { runStoreConformance } from '@sess/core/conformance';
import { it } from 'vitest';
import { TieredStore } from '../src/index.js';

runStoreConformance({
  test: it.concurrent,
  createStore: ({ now = Date.now }) => ({
    store: new TieredStore({
      cache: new MemoryStore({ now }),
      durable: new MemoryStore({ now }),
      now,
    }),
  }),
});
