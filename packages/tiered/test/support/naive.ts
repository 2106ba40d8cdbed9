import type {
  SessionRecord,
  SessionStore,
  StoreCapabilities,
  StoredSession,
  UpdateOptions,
  WriteResult,
} from '@sess/core';

/**
 * A cache in front of a durable store the way it is usually written (and
 * the way Django's cached_db backend works): a miss reads the durable store
 * and sets the cache; a write goes to the durable store, then sets (or
 * deletes) the cache entry; a failing cache is ignored, so it does not fail
 * requests. The explorer must find where this goes wrong.
 */
export class NaiveCachedStore implements SessionStore {
  readonly capabilities: StoreCapabilities;
  readonly #cache: SessionStore;
  readonly #durable: SessionStore;

  constructor(cache: SessionStore, durable: SessionStore) {
    this.#cache = cache;
    this.#durable = durable;
    this.capabilities = durable.capabilities;
  }

  async get(id: string): Promise<StoredSession | null> {
    const cached = await this.#cache.get(id).catch(() => null);
    if (cached) return JSON.parse(cached.data) as StoredSession;
    const record = await this.#durable.get(id);
    if (record) await this.#set(id, record);
    return record;
  }

  async create(id: string, record: SessionRecord): Promise<WriteResult> {
    const result = await this.#durable.create(id, record);
    if (result.ok) await this.#set(id, { ...record, version: result.version });
    return result;
  }

  async update(id: string, record: SessionRecord, options?: UpdateOptions): Promise<WriteResult> {
    const result = await this.#durable.update(id, record, options);
    if (result.ok) await this.#set(id, { ...record, version: result.version });
    return result;
  }

  async touch(id: string, expiresAt: number): Promise<boolean> {
    const touched = await this.#durable.touch(id, expiresAt);
    await this.#cache.destroy(id).catch(() => undefined);
    return touched;
  }

  async destroy(id: string): Promise<void> {
    await this.#durable.destroy(id);
    await this.#cache.destroy(id).catch(() => undefined);
  }

  async close(): Promise<void> {}

  /** A blind set: whatever was there is replaced. */
  async #set(id: string, record: StoredSession): Promise<void> {
    const entry = { data: JSON.stringify(record), expiresAt: record.expiresAt };
    try {
      const replaced = await this.#cache.update(id, entry);
      if (!replaced.ok) await this.#cache.create(id, entry);
    } catch {
      // the cache is down: requests go on
    }
  }
}
