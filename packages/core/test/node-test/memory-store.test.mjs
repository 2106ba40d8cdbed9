// The suite under node:test, loaded from the built package as an app would load it.
import { describe, test } from 'node:test';
import { MemoryStore } from '@sess/core';
import { runStoreConformance } from '@sess/core/conformance';

describe('MemoryStore under node:test', () => {
  runStoreConformance({
    test,
    createStore: ({ now }) => ({ store: new MemoryStore(now ? { now } : {}) }),
  });
});
