import type {
  DestroyByUserOptions,
  ListOptions,
  ListPage,
  SessionRecord,
  SessionStore,
  StoreCapabilities,
  StoredSession,
  UpdateOptions,
  WriteResult,
} from '@sess/core';

/** A held call: `reached` resolves when it is made (or, held after, done); `release` lets it go on. */
export interface Hold {
  readonly reached: Promise<void>;
  release(): void;
}

type Method = 'get' | 'create' | 'update' | 'touch' | 'destroy' | 'list' | 'destroyByUser';

/**
 * A real store with a pause button: the next call of a method can be held
 * before it reaches the store, or after the store answered and before the
 * caller hears back, so a test can run other operations in between.
 */
export class HeldStore implements SessionStore {
  readonly capabilities: StoreCapabilities;
  readonly #inner: SessionStore;
  readonly #holds = new Map<
    Method,
    Array<{ after: boolean; arrive(): void; gate: Promise<void> }>
  >();

  constructor(inner: SessionStore) {
    this.#inner = inner;
    this.capabilities = inner.capabilities;
  }

  hold(method: Method, when: 'before' | 'after' = 'before'): Hold {
    let arrive!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const queue = this.#holds.get(method) ?? [];
    queue.push({ after: when === 'after', arrive, gate });
    this.#holds.set(method, queue);
    return { reached, release };
  }

  async #call<T>(method: Method, call: () => Promise<T>): Promise<T> {
    const held = this.#holds.get(method)?.shift();
    if (!held) return call();
    if (!held.after) {
      held.arrive();
      await held.gate;
      return call();
    }
    const result = await call();
    held.arrive();
    await held.gate;
    return result;
  }

  get(id: string): Promise<StoredSession | null> {
    return this.#call('get', () => this.#inner.get(id));
  }
  create(id: string, record: SessionRecord): Promise<WriteResult> {
    return this.#call('create', () => this.#inner.create(id, record));
  }
  update(id: string, record: SessionRecord, options?: UpdateOptions): Promise<WriteResult> {
    return this.#call('update', () => this.#inner.update(id, record, options));
  }
  touch(id: string, expiresAt: number): Promise<boolean> {
    return this.#call('touch', () => this.#inner.touch(id, expiresAt));
  }
  destroy(id: string): Promise<void> {
    return this.#call('destroy', () => this.#inner.destroy(id));
  }
  list(options?: ListOptions): Promise<ListPage> {
    return this.#call('list', () => this.#inner.list?.(options) as Promise<ListPage>);
  }
  destroyByUser(userId: string, options?: DestroyByUserOptions): Promise<number> {
    return this.#call(
      'destroyByUser',
      () => this.#inner.destroyByUser?.(userId, options) as Promise<number>,
    );
  }
  count(): Promise<number> {
    return this.#inner.count?.() as Promise<number>;
  }
  clearExpired(): Promise<number> {
    return this.#inner.clearExpired?.() as Promise<number>;
  }
  clear(): Promise<void> {
    return this.#inner.clear?.() as Promise<void>;
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}
