import { MemoryStore } from '@sess/core';
import { sessTarget } from '../sess-target.js';
import type { BenchBackend, BenchTarget } from '../target.js';

/** The reference store against a plain Map doing the same bookkeeping-free work. */
export const backend: BenchBackend = {
  name: 'memory',
  async setup() {
    const store = new MemoryStore();
    const sess = sessTarget(store);
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
