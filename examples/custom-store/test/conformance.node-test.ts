import { test } from 'node:test';
import { runStoreConformance } from '@sess/core/conformance';
import { StringMapStore } from '../src/string-map-store.js';

const map = new Map<string, string>();

runStoreConformance({
  test,
  createStore: ({ namespace, now }) => ({
    store: new StringMapStore({ map, prefix: `${namespace}:`, ...(now ? { now } : {}) }),
  }),
  corrupt: async ({ namespace, id }) => {
    map.set(`${namespace}:${id}`, '{"data": "truncated');
  },
});
