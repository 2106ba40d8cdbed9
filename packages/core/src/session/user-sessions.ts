import type { SessionStore, StoredSession } from '../contract.js';
import { publishUnreadable } from '../diagnostics.js';
import { CorruptRecordError, UnsupportedOperationError } from '../errors.js';
import type { SessionData } from './codec.js';
import { readEnvelope } from './envelope.js';
import type { StoredForm } from './stored-form.js';

/** A session as `listForUser` describes it, without its token. */
export interface SessionInfo<Data extends SessionData = SessionData> {
  /** The store id, as `session.id` gives it. */
  readonly id: string;
  readonly userId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly absoluteExpiresAt: number;
  /** The session's data, with `includeData`; absent when it cannot be decoded. */
  readonly data?: Partial<Data>;
}

const LIST_PAGE = 100;
const READ_CONCURRENCY = 8;

/** `store.get`, reading a record the store reports corrupt as absent. */
export async function getReadable(store: SessionStore, id: string): Promise<StoredSession | null> {
  try {
    return await store.get(id);
  } catch (error) {
    if (error instanceof CorruptRecordError) {
      publishUnreadable(store, id, 'corrupt');
      return null;
    }
    throw error;
  }
}

/** What `SessionManager.listForUser` returns: the user's live sessions, oldest first. */
export async function listUserSessions<Data extends SessionData>(
  store: SessionStore,
  form: StoredForm,
  userId: string,
  includeData: boolean,
): Promise<SessionInfo<Data>[]> {
  if (!store.capabilities.users || !store.capabilities.list || !store.list) {
    throw new UnsupportedOperationError('listForUser', storeName(store));
  }
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list(
      // Stryker disable next-line ConditionalExpression: `{ cursor: undefined }` asks for the first page too
      cursor === undefined ? { userId, limit: LIST_PAGE } : { userId, limit: LIST_PAGE, cursor },
    );
    ids.push(...page.ids);
    cursor = page.cursor;
  } while (cursor !== undefined);

  const infos: SessionInfo<Data>[] = [];
  await eachLimited(ids, READ_CONCURRENCY, async (id) => {
    const stored = await getReadable(store, id);
    if (!stored || stored.userId !== userId) return;
    let envelope: ReturnType<typeof readEnvelope>;
    try {
      envelope = readEnvelope(stored.data);
    } catch {
      return; // not a session this manager can describe (or resume)
    }
    const info = {
      id,
      userId,
      createdAt: envelope.createdAt,
      expiresAt: stored.expiresAt,
      absoluteExpiresAt: envelope.absoluteExpiresAt,
    };
    const data = includeData ? form.read(stored)?.data : undefined;
    infos.push(data ? { ...info, data: Object.fromEntries(data) as Partial<Data> } : info);
  });
  return infos.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
}

export function storeName(store: SessionStore): string {
  return store.constructor?.name || 'this store';
}

async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++] as T);
  };
  // Stryker disable next-line MethodExpression: workers beyond the items find none and end at once
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
