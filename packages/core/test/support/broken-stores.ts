import type { ConformanceOptions, ConformanceTestName } from '../../src/conformance/index.js';
import type {
  Clock,
  DestroyByUserOptions,
  ListOptions,
  SessionRecord,
  SessionStore,
  StoredSession,
  UpdateOptions,
  WriteResult,
} from '../../src/index.js';
import { InvalidSessionIdError, MemoryStore, PayloadTooLargeError } from '../../src/index.js';
import { payloadBytes } from '../../src/store-kit/index.js';
import { SimulatedBackendStore, SimulatedLink } from './simulated-backend.js';

/** Marks the rejections a broken store leaks on purpose (the test config ignores exactly these). */
export const DELIBERATE_LEAK = 'deliberately leaked by a broken test store';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A correct store to start from: every method forwards to a MemoryStore.
 * Each broken store below overrides one method to break one rule.
 */
class Forwarding implements SessionStore {
  readonly inner: MemoryStore;

  constructor(now: Clock | undefined, inner?: MemoryStore) {
    this.inner = inner ?? new MemoryStore({ maxPayloadBytes: 4096, ...(now ? { now } : {}) });
  }
  get capabilities() {
    return this.inner.capabilities;
  }
  get(id: string): Promise<StoredSession | null> {
    return this.inner.get(id);
  }
  create(id: string, record: SessionRecord): Promise<WriteResult> {
    return this.inner.create(id, record);
  }
  update(id: string, record: SessionRecord, options?: UpdateOptions): Promise<WriteResult> {
    return this.inner.update(id, record, options);
  }
  touch(id: string, expiresAt: number): Promise<boolean> {
    return this.inner.touch(id, expiresAt);
  }
  destroy(id: string): Promise<void> {
    return this.inner.destroy(id);
  }
  list(options?: ListOptions) {
    return this.inner.list(options);
  }
  count(): Promise<number> {
    return this.inner.count();
  }
  destroyByUser(userId: string, options?: DestroyByUserOptions): Promise<number> {
    return this.inner.destroyByUser(userId, options);
  }
  clearExpired(): Promise<number> {
    return this.inner.clearExpired();
  }
  clear(): Promise<void> {
    return this.inner.clear();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Declares a 4 KiB payload limit but stores up to 1 MiB: for stores that check the limit wrongly. */
class Roomy extends Forwarding {
  constructor(now: Clock | undefined) {
    super(now, new MemoryStore({ maxPayloadBytes: 1 << 20, ...(now ? { now } : {}) }));
  }
  override get capabilities() {
    return { ...this.inner.capabilities, maxPayloadBytes: 4096 };
  }
}

export interface BrokenStore {
  /** What is wrong with it. */
  flaw: string;
  /** The test that must catch it. */
  caughtBy: ConformanceTestName;
  options: Omit<ConformanceOptions, 'test'>;
}

function broken(
  flaw: string,
  caughtBy: ConformanceTestName,
  make: (now: Clock | undefined) => SessionStore,
): BrokenStore {
  return { flaw, caughtBy, options: { createStore: ({ now }) => ({ store: make(now) }) } };
}

function brokenBackend(
  flaw: string,
  caughtBy: ConformanceTestName,
  make: (link: SimulatedLink, now: Clock | undefined) => SimulatedBackendStore,
): BrokenStore {
  const link = new SimulatedLink();
  return {
    flaw,
    caughtBy,
    options: {
      createStore: ({ now }) => ({ store: make(link, now) }),
      faults: link,
      corrupt: async ({ store, id }) => {
        (store as SimulatedBackendStore).corrupted.add(id);
      },
      timing: { recoveryMs: 2_000 },
    },
  };
}

const shared = new Map<string, MemoryStore>();

export const brokenStores: BrokenStore[] = [
  broken(
    'reads ignore expiry',
    'expiry (clock): a record is live until just before expiresAt and gone at expiresAt',
    () => new Forwarding(() => 0),
  ),
  broken(
    'create overwrites a live record',
    'create: never overwrites a live record',
    (now) =>
      new (class extends Forwarding {
        override async create(id: string, record: SessionRecord) {
          await this.inner.destroy(id);
          return this.inner.create(id, record);
        }
      })(now),
  ),
  broken(
    'create checks, then writes',
    'create: of 50 concurrent creates of one id exactly one succeeds',
    (now) =>
      new (class extends Forwarding {
        override async create(id: string, record: SessionRecord): Promise<WriteResult> {
          if (await this.inner.get(id)) return { ok: false, reason: 'exists' };
          await tick();
          await this.inner.destroy(id);
          return this.inner.create(id, record);
        }
      })(now),
  ),
  broken(
    'update revives a destroyed record',
    'update: never revives a destroyed record',
    (now) =>
      new (class extends Forwarding {
        override async update(id: string, record: SessionRecord, options?: UpdateOptions) {
          const result = await this.inner.update(id, record, options);
          return result.ok || result.reason !== 'missing' ? result : this.inner.create(id, record);
        }
      })(now),
  ),
  broken(
    'update ignores ifVersion',
    'update: a matching ifVersion writes; a stale one gives conflict and writes nothing',
    (now) =>
      new (class extends Forwarding {
        override update(id: string, record: SessionRecord) {
          return this.inner.update(id, record);
        }
      })(now),
  ),
  broken(
    'compare-and-set is not atomic',
    'update: of 50 concurrent updates with the same ifVersion exactly one succeeds',
    (now) =>
      new (class extends Forwarding {
        override async update(
          id: string,
          record: SessionRecord,
          options?: UpdateOptions,
        ): Promise<WriteResult> {
          const current = await this.inner.get(id);
          await tick();
          if (!current) return { ok: false, reason: 'missing' };
          if (options?.ifVersion !== undefined && options.ifVersion !== current.version) {
            return { ok: false, reason: 'conflict' };
          }
          return this.inner.update(id, record);
        }
      })(now),
  ),
  broken(
    'the version never changes',
    'update: every successful write yields a new version and the new expiry',
    (now) =>
      new (class extends Forwarding {
        override async get(id: string) {
          const read = await this.inner.get(id);
          return read && { ...read, version: 'v' };
        }
        override async create(id: string, record: SessionRecord): Promise<WriteResult> {
          const result = await this.inner.create(id, record);
          return result.ok ? { ok: true, version: 'v' } : result;
        }
        override async update(
          id: string,
          record: SessionRecord,
          options?: UpdateOptions,
        ): Promise<WriteResult> {
          if (options?.ifVersion !== undefined && options.ifVersion !== 'v')
            return { ok: false, reason: 'conflict' };
          const result = await this.inner.update(id, record);
          return result.ok ? { ok: true, version: 'v' } : result;
        }
      })(now),
  ),
  broken(
    'update keeps the old expiry',
    'update: every successful write yields a new version and the new expiry',
    (now) =>
      new (class extends Forwarding {
        override async update(id: string, record: SessionRecord, options?: UpdateOptions) {
          const current = await this.inner.get(id);
          return this.inner.update(
            id,
            current ? { ...record, expiresAt: current.expiresAt } : record,
            options,
          );
        }
      })(now),
  ),
  broken(
    'touch rewrites the record with a new version',
    'touch: changes only the expiry',
    (now) =>
      new (class extends Forwarding {
        override async touch(id: string, expiresAt: number) {
          const current = await this.inner.get(id);
          if (!current) return false;
          return (await this.inner.update(id, { ...current, expiresAt })).ok;
        }
      })(now),
  ),
  broken(
    'touch revives a missing id',
    'touch: a missing id gives false and is not revived',
    (now) =>
      new (class extends Forwarding {
        override async touch(id: string, expiresAt: number) {
          if (await this.inner.touch(id, expiresAt)) return true;
          await this.inner.create(id, { data: '', expiresAt });
          return true;
        }
      })(now),
  ),
  broken(
    'every namespace shares one map',
    'namespaces: two stores do not see each other',
    (now) => {
      const key = now ? 'clock' : 'real';
      const inner = shared.get(key) ?? new MemoryStore(now ? { now } : {});
      shared.set(key, inner);
      return new (class extends Forwarding {
        override async close() {}
      })(now, inner);
    },
  ),
  broken(
    'list drops the last id of every page',
    'list: pages 1,000 ids with a small limit, with no duplicates and no misses',
    (now) =>
      new (class extends Forwarding {
        override async list(options?: ListOptions) {
          const page = await this.inner.list(options);
          return page.cursor === undefined ? page : { ...page, ids: page.ids.slice(0, -1) };
        }
      })(now),
  ),
  broken(
    'list repeats ids across pages',
    'list: pages 1,000 ids with a small limit, with no duplicates and no misses',
    (now) =>
      new (class extends Forwarding {
        override async list(options?: ListOptions) {
          const page = await this.inner.list(options);
          const back = page.ids.at(-2);
          return page.cursor === undefined || back === undefined ? page : { ...page, cursor: back };
        }
      })(now),
  ),
  broken(
    'invalid ids read as misses',
    'ids: invalid ids are rejected with InvalidSessionIdError and touch nothing',
    (now) =>
      new (class extends Forwarding {
        override async get(id: string) {
          try {
            return await this.inner.get(id);
          } catch (error) {
            if (error instanceof InvalidSessionIdError) return null;
            throw error;
          }
        }
      })(now),
  ),
  broken(
    'ids are case-insensitive',
    'ids: ids that differ only in case are different sessions',
    (now) =>
      new (class extends Forwarding {
        override get(id: string) {
          return this.inner.get(id.toLowerCase());
        }
        override create(id: string, record: SessionRecord) {
          return this.inner.create(id.toLowerCase(), record);
        }
        override destroy(id: string) {
          return this.inner.destroy(id.toLowerCase());
        }
      })(now),
  ),
  broken(
    'payloads are trimmed',
    'round trip: payloads that look like JSON or hold NUL and newlines are kept verbatim',
    (now) =>
      new (class extends Forwarding {
        override create(id: string, record: SessionRecord) {
          return this.inner.create(id, { ...record, data: record.data.trim() });
        }
      })(now),
  ),
  broken(
    'userId is dropped',
    'round trip: userId is kept, and absent when none was given',
    (now) =>
      new (class extends Forwarding {
        override create(id: string, record: SessionRecord) {
          return this.inner.create(id, { data: record.data, expiresAt: record.expiresAt });
        }
      })(now),
  ),
  broken(
    'a past expiry is moved into the future',
    'records: an expiry in the past is rejected with InvalidRecordError and changes nothing',
    (now) =>
      new (class extends Forwarding {
        override create(id: string, record: SessionRecord) {
          return this.inner.create(id, {
            ...record,
            expiresAt: Math.max(record.expiresAt, Date.now() + 1_000),
          });
        }
      })(now),
  ),
  broken(
    'expiries over 30 days expire at once (the memcached bug)',
    'expiry (real time): a 31-day expiry stays alive',
    (now) =>
      new (class extends Forwarding {
        override create(id: string, record: SessionRecord) {
          const tooLong = record.expiresAt - Date.now() > 30 * 86_400_000;
          return this.inner.create(id, tooLong ? { ...record, expiresAt: Date.now() + 1 } : record);
        }
      })(now),
  ),
  broken(
    'count includes expired records',
    'count: counts live records only',
    (now) =>
      new (class extends Forwarding {
        readonly #ids = new Set<string>();
        override async create(id: string, record: SessionRecord) {
          const result = await this.inner.create(id, record);
          if (result.ok) this.#ids.add(id);
          return result;
        }
        override async destroy(id: string) {
          this.#ids.delete(id);
          return this.inner.destroy(id);
        }
        override async count() {
          return this.#ids.size;
        }
      })(now),
  ),
  broken(
    'destroyByUser ignores except',
    'users: destroyByUser honours except',
    (now) =>
      new (class extends Forwarding {
        override destroyByUser(userId: string) {
          return this.inner.destroyByUser(userId);
        }
      })(now),
  ),
  (() => {
    const everyStore = new Set<MemoryStore>();
    return broken(
      'clear empties every namespace',
      'namespaces: clear() of one leaves the other',
      (now) => {
        const store = new (class extends Forwarding {
          override async clear() {
            for (const each of everyStore) await each.clear();
          }
        })(now);
        everyStore.add(store.inner);
        return store;
      },
    );
  })(),
  broken(
    'clearExpired miscounts',
    'clearExpired: removes exactly the expired records and returns how many',
    (now) =>
      new (class extends Forwarding {
        override async clearExpired() {
          await this.inner.clearExpired();
          return 0;
        }
      })(now),
  ),
  broken(
    'an oversized update is written before it is refused',
    'payload: over maxPayloadBytes is rejected with PayloadTooLargeError and the old record stays',
    (now) =>
      new (class extends Roomy {
        override async update(id: string, record: SessionRecord, options?: UpdateOptions) {
          const result = await this.inner.update(id, record, options);
          const size = payloadBytes(record.data);
          if (size > this.capabilities.maxPayloadBytes)
            throw new PayloadTooLargeError(size, this.capabilities.maxPayloadBytes);
          return result;
        }
      })(now),
  ),
  broken(
    'the payload limit counts characters, not bytes',
    'payload: size is counted in UTF-8 bytes',
    (now) =>
      new (class extends Roomy {
        override create(id: string, record: SessionRecord) {
          const limit = this.capabilities.maxPayloadBytes;
          if (record.data.length > limit) throw new PayloadTooLargeError(record.data.length, limit);
          return this.inner.create(id, record);
        }
      })(now),
  ),
  broken(
    'acknowledged updates are sometimes dropped',
    'storm: 64 workers of mixed operations leave a state that agrees with the acknowledged writes',
    (now) =>
      new (class extends Forwarding {
        #calls = 0;
        override async update(
          id: string,
          record: SessionRecord,
          options?: UpdateOptions,
        ): Promise<WriteResult> {
          if (++this.#calls % 3 === 0 && (await this.inner.get(id)))
            return { ok: true, version: `lost-${this.#calls}` };
          return this.inner.update(id, record, options);
        }
      })(now),
  ),
  broken(
    'close fails the second time',
    'close: is idempotent',
    (now) =>
      new (class extends Forwarding {
        #closed = false;
        override async close() {
          if (this.#closed) throw new Error('already closed');
          this.#closed = true;
        }
      })(now),
  ),
  broken(
    'create overwrites a record with 1 ms left',
    'create (clock): a record with 1 ms left is live: create gives exists',
    (now) =>
      new (class extends Forwarding {
        override async create(id: string, record: SessionRecord) {
          const current = await this.inner.get(id);
          // Off by one: a record about to expire counts as gone.
          if (current && now && current.expiresAt - now() <= 1) await this.inner.destroy(id);
          return this.inner.create(id, record);
        }
      })(now),
  ),
  broken(
    'update ignores ifVersion while the record is at its first version',
    'update: a wrong ifVersion gives conflict at every version, the first one included',
    (now) =>
      new (class extends Forwarding {
        readonly #firstVersions = new Set<string>();
        override async create(id: string, record: SessionRecord) {
          const result = await this.inner.create(id, record);
          if (result.ok) this.#firstVersions.add(result.version);
          return result;
        }
        override async update(id: string, record: SessionRecord, options?: UpdateOptions) {
          const current = await this.inner.get(id);
          const first = current !== null && this.#firstVersions.has(current.version);
          return this.inner.update(id, record, first ? undefined : options);
        }
      })(now),
  ),
  broken(
    'destroyByUser counts sessions destroyed before it ran',
    'users: destroyByUser counts only sessions that were still there',
    (now) =>
      new (class extends Forwarding {
        readonly #created = new Map<string, number>();
        override async create(id: string, record: SessionRecord) {
          const result = await this.inner.create(id, record);
          if (result.ok && record.userId !== undefined) {
            this.#created.set(record.userId, (this.#created.get(record.userId) ?? 0) + 1);
          }
          return result;
        }
        override async destroyByUser(userId: string, options?: DestroyByUserOptions) {
          await this.inner.destroyByUser(userId, options);
          const counted = this.#created.get(userId) ?? 0;
          this.#created.delete(userId);
          return counted;
        }
      })(now),
  ),
  broken(
    'a closed store keeps working',
    'close: a closed store rejects every operation with StoreUnavailableError',
    (now) =>
      new (class extends Forwarding {
        override async close() {}
      })(now),
  ),
  (() => {
    // Like a key-value store that scans `prefix*`: a namespace also sees the
    // records of every namespace it is a prefix of.
    const byNamespace = new Map<string, MemoryStore>();
    const extending = (namespace: string) =>
      [...byNamespace].filter(([other]) => other.startsWith(namespace)).map(([, s]) => s);
    return {
      flaw: 'a namespace sees the records of namespaces it is a prefix of',
      caughtBy:
        'namespaces: when one namespace is a prefix of another, count, list, destroyByUser and clear stay in their own',
      options: {
        createStore: ({ namespace, now }) => {
          const store = new (class extends Forwarding {
            override async count() {
              let total = 0;
              for (const each of extending(namespace)) total += await each.count();
              return total;
            }
            override async destroyByUser(userId: string, options?: DestroyByUserOptions) {
              let total = 0;
              for (const each of extending(namespace)) {
                total += await each.destroyByUser(userId, options);
              }
              return total;
            }
          })(now);
          byNamespace.set(namespace, store.inner);
          return { store, dispose: () => byNamespace.delete(namespace) };
        },
      },
    } satisfies BrokenStore;
  })(),
  brokenBackend(
    'backend errors read as misses',
    'faults: during an outage every operation rejects with StoreUnavailableError within operationTimeoutMs',
    (link, now) =>
      new (class extends SimulatedBackendStore {
        override async get(id: string) {
          try {
            return await super.get(id);
          } catch {
            return null;
          }
        }
      })(link, now),
  ),
  brokenBackend(
    'calls hang while the backend is down',
    'faults: during an outage every operation rejects with StoreUnavailableError within operationTimeoutMs',
    (link, now) =>
      new (class extends SimulatedBackendStore {
        protected override call<T>(operation: () => Promise<T>): Promise<T> {
          return this.link.roundTrip().then(operation);
        }
      })(link, now),
  ),
  brokenBackend(
    'an outage leaks an unhandled rejection',
    'faults: operations in flight when the backend dies leave no unhandled rejection',
    (link, now) =>
      new (class extends SimulatedBackendStore {
        protected override call<T>(operation: () => Promise<T>): Promise<T> {
          if (this.link.down) void Promise.reject(new Error(DELIBERATE_LEAK));
          return super.call(operation);
        }
      })(link, now),
  ),
  brokenBackend(
    'the store never recovers from an outage',
    'faults: the same store instance works again after the backend returns',
    (link, now) =>
      new (class extends SimulatedBackendStore {
        #broken = false;
        protected override call<T>(operation: () => Promise<T>): Promise<T> {
          if (this.link.down) this.#broken = true;
          return this.#broken ? new Promise<T>(() => {}) : super.call(operation);
        }
      })(link, now),
  ),
  brokenBackend(
    'a corrupt record crashes the read',
    'corrupt: a corrupt record reads as a miss or CorruptRecordError, never as data',
    (link, now) =>
      new (class extends SimulatedBackendStore {
        override async get(id: string) {
          if (this.corrupted.has(id)) throw new SyntaxError('Unexpected token in JSON');
          return super.get(id);
        }
      })(link, now),
  ),
];
