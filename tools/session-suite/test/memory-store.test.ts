import { MemoryStore, type SessionStore } from '@sess/core';
import { it } from 'vitest';
import { sessionLifecycleSuite, sweeperSuite } from '../src/index.js';

sessionLifecycleSuite({
  name: 'MemoryStore',
  test: it.concurrent,
  createStore: ({ now }) => ({ store: new MemoryStore({ now }) }),
});

// Every call takes a real round trip (a macrotask) here, so requests
// interleave as they do over a network.
sessionLifecycleSuite({
  name: 'a MemoryStore a round trip away',
  test: it.concurrent,
  createStore: ({ now }) => ({ store: roundTripAway(new MemoryStore({ now })) }),
});

sweeperSuite({
  name: 'MemoryStore',
  createStore: ({ now }) => ({ store: new MemoryStore({ now }) }),
});

/** The store, with every call answered on a later turn of the event loop. */
function roundTripAway(store: MemoryStore): SessionStore {
  const later = <T>(call: () => Promise<T>) =>
    new Promise<void>((resolve) => setImmediate(resolve)).then(call);
  return {
    capabilities: store.capabilities,
    get: (id) => later(() => store.get(id)),
    create: (id, record) => later(() => store.create(id, record)),
    update: (id, record, options) => later(() => store.update(id, record, options)),
    touch: (id, expiresAt) => later(() => store.touch(id, expiresAt)),
    destroy: (id) => later(() => store.destroy(id)),
    list: (options) => later(() => store.list(options)),
    destroyByUser: (userId, options) => later(() => store.destroyByUser(userId, options)),
    close: () => store.close(),
  };
}
