import {
  type Clock,
  CorruptRecordError,
  type SessionRecord,
  type SessionStore,
  type StoreCapabilities,
  type StoredSession,
  StoreUnavailableError,
  type UpdateOptions,
  type WriteResult,
} from '@sess/core';
import {
  assertExpiry,
  assertSessionId,
  assertWrite,
  checkUpdateOptions,
  refused,
  resolveCommonOptions,
} from '@sess/core/store-kit';

interface Stored {
  data: string;
  expiresAt: number;
  userId?: string;
  version: string;
}

/**
 * A session store over any synchronous string map (here a `Map`, in real life
 * perhaps `localStorage` or an embedded key-value engine). Records are kept
 * as JSON strings, so it shows the corrupt-record path too.
 */
export class StringMapStore implements SessionStore {
  readonly capabilities: StoreCapabilities;

  readonly #map: Map<string, string>;
  readonly #prefix: string;
  readonly #now: Clock;
  #writes = 0;
  #closed = false;

  constructor(options: {
    map: Map<string, string>;
    prefix: string;
    now?: Clock;
    maxPayloadBytes?: number;
  }) {
    // The same rules and defaults as every sess store; this one does no I/O, so no timeout.
    const { now, maxPayloadBytes } = resolveCommonOptions(options);
    this.#map = options.map;
    this.#prefix = options.prefix;
    this.#now = now;
    this.capabilities = {
      expiry: 'sweep',
      list: false,
      count: false,
      users: false,
      clear: false,
      ttlResolutionMs: 0,
      maxPayloadBytes,
    };
  }

  async get(id: string): Promise<StoredSession | null> {
    this.#assertOpen();
    assertSessionId(id);
    const stored = this.#read(id);
    return stored && { ...stored };
  }

  async create(id: string, record: SessionRecord): Promise<WriteResult> {
    this.#assertOpen();
    assertWrite(id, record, this.#limits());
    if (this.#read(id)) return refused.exists;
    return { ok: true, version: this.#write(id, record) };
  }

  async update(id: string, record: SessionRecord, options?: UpdateOptions): Promise<WriteResult> {
    this.#assertOpen();
    assertWrite(id, record, this.#limits());
    const ifVersion = checkUpdateOptions(options);
    const current = this.#read(id);
    if (!current) return refused.missing;
    if (ifVersion !== undefined && ifVersion !== current.version) return refused.conflict;
    return { ok: true, version: this.#write(id, record) };
  }

  async touch(id: string, expiresAt: number): Promise<boolean> {
    this.#assertOpen();
    assertSessionId(id);
    assertExpiry(expiresAt, this.#now());
    const current = this.#read(id);
    if (!current) return false;
    this.#map.set(this.#key(id), JSON.stringify({ ...current, expiresAt }));
    return true;
  }

  async destroy(id: string): Promise<void> {
    this.#assertOpen();
    assertSessionId(id);
    this.#map.delete(this.#key(id));
  }

  async clearExpired(): Promise<number> {
    this.#assertOpen();
    let removed = 0;
    for (const key of [...this.#map.keys()]) {
      if (!key.startsWith(this.#prefix)) continue;
      const id = key.slice(this.#prefix.length);
      if (this.#read(id, { keepCorrupt: true }) === null) {
        this.#map.delete(key);
        removed++;
      }
    }
    return removed;
  }

  /** Idempotent; the map belongs to the caller and stays as it is. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreUnavailableError('This StringMapStore is closed.');
  }

  #key(id: string): string {
    return this.#prefix + id;
  }

  #limits() {
    return { now: this.#now(), maxPayloadBytes: this.capabilities.maxPayloadBytes };
  }

  /** The live record; expired reads as null, corrupt is dropped and reads as null. */
  #read(id: string, options: { keepCorrupt?: boolean } = {}): Stored | null {
    const raw = this.#map.get(this.#key(id));
    if (raw === undefined) return null;
    let stored: Stored;
    try {
      stored = JSON.parse(raw) as Stored;
      if (typeof stored.data !== 'string' || typeof stored.expiresAt !== 'number') {
        throw new CorruptRecordError('record fields have the wrong types');
      }
    } catch {
      if (!options.keepCorrupt) this.#map.delete(this.#key(id));
      return null;
    }
    return stored.expiresAt > this.#now() ? stored : null;
  }

  #write(id: string, record: SessionRecord): string {
    const version = `${Date.now().toString(36)}.${(++this.#writes).toString(36)}`;
    const stored: Stored = { data: record.data, expiresAt: record.expiresAt, version };
    if (record.userId !== undefined) stored.userId = record.userId;
    this.#map.set(this.#key(id), JSON.stringify(stored));
    return version;
  }
}
