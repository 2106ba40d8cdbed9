import type { SessionStore } from '@sess/core';
import type { BenchTarget } from '../target.js';

/**
 * create and update for a sess store the way SessionManager drives it: each
 * update carries the version of the last write to that id.
 */
export function versionedUpdate(store: SessionStore): Pick<BenchTarget, 'create' | 'update'> {
  const versions = new Map<string, string>();
  const remember = (id: string, result: Awaited<ReturnType<SessionStore['create']>>) => {
    if (!result.ok) throw new Error(`bench write refused: ${result.reason}`);
    versions.set(id, result.version);
    return result;
  };
  return {
    create: async (id, data, expiresAt) =>
      remember(id, await store.create(id, { data, expiresAt })),
    update: async (id, data, expiresAt) => {
      const ifVersion = versions.get(id);
      const options = ifVersion === undefined ? {} : { ifVersion };
      return remember(id, await store.update(id, { data, expiresAt }, options));
    },
  };
}
