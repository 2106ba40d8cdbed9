import { runStoreConformance } from '@sess/core/conformance';
import { it } from 'vitest';
import { StringMapStore } from '../src/string-map-store.js';

// One map shared by every store, as one database would be: namespaces keep them apart.
const map = new Map<string, string>();

runStoreConformance({
  test: it,
  createStore: ({ namespace, now }) => ({
    store: new StringMapStore({ map, prefix: `${namespace}:`, ...(now ? { now } : {}) }),
  }),
  corrupt: async ({ namespace, id }) => {
    map.set(`${namespace}:${id}`, '{"data": "truncated');
  },
});
