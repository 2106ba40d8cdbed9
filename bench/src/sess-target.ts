import type { SessionStore } from '@sess/core';
import type { BenchTarget } from './target.js';

/**
 * A sess store as a bench target, driven the way SessionManager drives it:
 * each update carries the version of the last write to that id.
 */
export function sessTarget(store: SessionStore, name = 'sess'): BenchTarget {
  const versions = new Map<string, string>();
  const remember = (id: string, result: Awaited<ReturnType<SessionStore['create']>>) => {
    if (!result.ok) throw new Error(`bench write refused: ${result.reason}`);
    versions.set(id, result.version);
    return result;
  };
  return {
    name,
    role: 'sess',
    create: async (id, data, expiresAt) =>
      remember(id, await store.create(id, { data, expiresAt })),
    update: async (id, data, expiresAt) => {
      const ifVersion = versions.get(id);
      const options = ifVersion === undefined ? {} : { ifVersion };
      return remember(id, await store.update(id, { data, expiresAt }, options));
    },
    get: (id) => store.get(id),
    touch: (id, expiresAt) => store.touch(id, expiresAt),
    destroy: (id) => store.destroy(id),
    close: () => store.close(),
  };
}
