import {
  CorruptRecordError,
  InvalidRecordError,
  PayloadTooLargeError,
  type SessionRecord,
  type SessionStore,
  type StoredSession,
} from '@sess/core';
import type { Outcome } from './checkpoint.js';

/** The outcome for one id, and the target's expiry when the target now holds it. */
export interface Copied {
  readonly outcome: Outcome;
  readonly targetExpiresAt?: number;
}

function same(a: SessionRecord, b: SessionRecord): boolean {
  return a.data === b.data && a.expiresAt === b.expiresAt && a.userId === b.userId;
}

function plain(record: StoredSession): SessionRecord {
  return {
    data: record.data,
    expiresAt: record.expiresAt,
    ...(record.userId === undefined ? {} : { userId: record.userId }),
  };
}

/**
 * Copies one session. `create` never overwrites a live record, so a session
 * the target already holds is compared instead: the same record (a page
 * redone after an interrupt) is `present`; one that expires no later than
 * the source's is older (every write moves a session's expiry forward), and
 * is replaced only by compare-and-set on the version just read, so a write
 * that lands in between wins; any other is `kept`.
 */
export async function copyOne(
  id: string,
  source: SessionStore,
  target: SessionStore,
  dryRun: boolean,
): Promise<Copied> {
  let found: StoredSession | null;
  try {
    found = await source.get(id);
  } catch (error) {
    if (error instanceof CorruptRecordError) return { outcome: 'failed' };
    throw error;
  }
  if (!found) return { outcome: 'gone' };
  const record = plain(found);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (!dryRun) {
        const created = await target.create(id, record);
        if (created.ok) return { outcome: 'copied', targetExpiresAt: record.expiresAt };
      }
      const held = await target.get(id);
      if (!held) {
        if (dryRun) return { outcome: 'copied', targetExpiresAt: record.expiresAt };
        continue; // it expired or was destroyed since: create again
      }
      if (same(plain(held), record)) return { outcome: 'present', targetExpiresAt: held.expiresAt };
      if (held.expiresAt >= record.expiresAt) {
        return { outcome: 'kept', targetExpiresAt: held.expiresAt };
      }
      if (dryRun) return { outcome: 'updated', targetExpiresAt: record.expiresAt };
      const updated = await target.update(id, record, { ifVersion: held.version });
      if (updated.ok) return { outcome: 'updated', targetExpiresAt: record.expiresAt };
      // A conflict is a newer write in the target; missing, a destroy: look again.
    }
    // Three rounds of concurrent writes to this id in the target: theirs stand.
    return { outcome: 'kept' };
  } catch (error) {
    // Expired between the read and the write.
    if (error instanceof InvalidRecordError && record.expiresAt <= Date.now() + 1_000) {
      return { outcome: 'gone' };
    }
    if (error instanceof PayloadTooLargeError) return { outcome: 'failed' };
    throw error;
  }
}
