import type { SessionStore, Version } from '../contract.js';
import type { StoredForm } from './stored-form.js';
import { getReadable } from './user-sessions.js';

/**
 * Flash values live in the session data under this prefix, so they travel
 * with the session through every store and codec; `session.set` refuses
 * keys that start with it, and `session.keys()` leaves them out.
 */
const FLASH_PREFIX = '~flash:';

/** The data key a flash value is kept under. */
export function flashKey(key: string): string {
  return FLASH_PREFIX + key;
}

export function isFlashKey(key: string): boolean {
  return key.startsWith(FLASH_PREFIX);
}

/** A flash value taken from the store, and the record versions before and after. */
export interface TakenFlash {
  readonly value: unknown;
  readonly from?: Version;
  readonly to?: Version;
}

/**
 * Removes one flash value from the stored session with compare-and-set and
 * returns it. Of concurrent takers of one value exactly one gets it: each
 * writes the record without the value at the version it read, and the others
 * re-read (`retry` waits, or throws when retries ran out) and find it gone.
 */
export async function takeStoredFlash(
  store: SessionStore,
  form: StoredForm,
  id: string,
  key: string,
  retry: (attempt: number) => Promise<void>,
): Promise<TakenFlash> {
  for (let attempt = 0; ; attempt++) {
    const fresh = await getReadable(store, id);
    const read = fresh ? form.read(fresh) : undefined;
    if (!fresh || !read?.data.has(key)) return { value: undefined };
    const value = read.data.get(key);
    read.data.delete(key);
    const record = form.record(read.data, {
      ...read,
      expiresAt: fresh.expiresAt,
      userId: fresh.userId,
    });
    const result = await store.update(id, record, { ifVersion: fresh.version });
    if (result.ok) return { value, from: fresh.version, to: result.version };
    // 'missing': the session ended meanwhile; nothing to take.
    if (result.reason !== 'conflict') return { value: undefined };
    await retry(attempt);
  }
}
