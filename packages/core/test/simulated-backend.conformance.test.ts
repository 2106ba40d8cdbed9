import { describe, it } from 'vitest';
import { runStoreConformance } from '../src/conformance/index.js';
import { SimulatedBackendStore, SimulatedLink } from './support/simulated-backend.js';

// The fault and corrupt tiers need a backend that can fail; this store over a
// simulated link is correct, so every tier must pass on it.
describe('a correct store over a failing backend passes the fault and corrupt tiers', () => {
  const link = new SimulatedLink();
  runStoreConformance({
    test: it,
    createStore: ({ now }) => ({ store: new SimulatedBackendStore(link, now) }),
    faults: link,
    corrupt: async ({ store, id }) => {
      (store as SimulatedBackendStore).corrupted.add(id);
    },
    groups: ['faults', 'corrupt', 'roundTrip', 'update'],
  });
});
