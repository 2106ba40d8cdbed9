import { it } from 'vitest';
import { MemoryStore } from '../../src/index.js';
import { SimulatedBackendStore, SimulatedLink } from '../support/simulated-backend.js';
import { sessionLifecycleSuite } from './suite.js';

sessionLifecycleSuite({
  name: 'MemoryStore',
  test: it.concurrent,
  createStore: ({ now }) => ({ store: new MemoryStore({ now }) }),
});

// Every call takes a real round trip (a macrotask) here, so requests interleave
// as they do over a network.
sessionLifecycleSuite({
  name: 'a store over a simulated network',
  test: it.concurrent,
  createStore: ({ now }) => ({ store: new SimulatedBackendStore(new SimulatedLink(), now) }),
});
