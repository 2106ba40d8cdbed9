import { MemoryStore } from '@sess/core';
import type { BenchBackend, BenchTarget } from '../target.js';
import { versionedUpdate } from './versions.js';

/** The reference store against a plain Map doing the same bookkeeping-free work. */
export const backend: BenchBackend = {
  name: 'memory',
  async setup() {
    const store = new MemoryStore();
    const sess: BenchTarget = {
      name: 'sess',
      role: 'sess',
      ...versionedUpdate(store),
      get: (id) => store.get(id),
      touch: (id, expiresAt) => store.touch(id, expiresAt),
      destroy: (id) => store.destroy(id),
      close: () => store.close(),
    };
    const map = new Map<string, { data: string; expiresAt: number }>();
    const raw: BenchTarget = {
      name: 'raw',
      role: 'raw',
      create: async (id, data, expiresAt) => map.set(id, { data, expiresAt }),
      get: async (id) => map.get(id),
      update: async (id, data, expiresAt) => map.set(id, { data, expiresAt }),
      touch: async (id, expiresAt) => {
        const entry = map.get(id);
        if (entry) entry.expiresAt = expiresAt;
      },
      destroy: async (id) => map.delete(id),
      close: async () => map.clear(),
    };
    return { targets: [sess, raw], info: { store: 'in-process Map' }, teardown: async () => {} };
  },
};
