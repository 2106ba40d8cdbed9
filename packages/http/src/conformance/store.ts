import {
  type DestroyByUserOptions,
  type ListOptions,
  MemoryStore,
  type SessionRecord,
  type SessionStore,
  type UpdateOptions,
} from '@sess/core';

type Operation = 'get' | 'create' | 'update' | 'touch' | 'destroy';

/** How long the store takes to answer one operation, in ms. */
export type Latency = (operation: Operation) => number;

/**
 * The store behind each glue test: a `MemoryStore` with latency added, as a
 * store across a network has, and a record of what it acknowledged and when.
 * An outage is the `MemoryStore` closed: every call then rejects with
 * `StoreUnavailableError`, as any store whose backend is down does.
 */
export class SuiteStore implements SessionStore {
  readonly #inner = new MemoryStore();
  readonly #latency: Latency;
  readonly capabilities = this.#inner.capabilities;
  /** Calls received, by operation. */
  readonly calls: Record<Operation, number> = {
    get: 0,
    create: 0,
    update: 0,
    touch: 0,
    destroy: 0,
  };
  /** Writes that succeeded, in the order the store acknowledged them: `create:<id>`... */
  readonly acknowledged: string[] = [];

  constructor(latency: Latency = () => 0) {
    this.#latency = latency;
  }

  /** Takes the store down: every call from now on rejects with `StoreUnavailableError`. */
  goDown(): Promise<void> {
    return this.#inner.close();
  }

  /** The records the store holds, read without latency and without counting. */
  peek(id: string) {
    return this.#inner.get(id);
  }

  liveCount(): Promise<number> {
    return this.#inner.count();
  }

  async get(id: string) {
    await this.#wait('get');
    return this.#inner.get(id);
  }

  async create(id: string, record: SessionRecord) {
    await this.#wait('create');
    const result = await this.#inner.create(id, record);
    if (result.ok) this.acknowledged.push(`create:${id}`);
    return result;
  }

  async update(id: string, record: SessionRecord, options?: UpdateOptions) {
    await this.#wait('update');
    const result = await this.#inner.update(id, record, options);
    if (result.ok) this.acknowledged.push(`update:${id}`);
    return result;
  }

  async touch(id: string, expiresAt: number) {
    await this.#wait('touch');
    const touched = await this.#inner.touch(id, expiresAt);
    if (touched) this.acknowledged.push(`touch:${id}`);
    return touched;
  }

  async destroy(id: string) {
    await this.#wait('destroy');
    await this.#inner.destroy(id);
    this.acknowledged.push(`destroy:${id}`);
  }

  list(options?: ListOptions) {
    return this.#inner.list(options);
  }

  count() {
    return this.#inner.count();
  }

  destroyByUser(userId: string, options?: DestroyByUserOptions) {
    return this.#inner.destroyByUser(userId, options);
  }

  close() {
    return this.#inner.close();
  }

  async #wait(operation: Operation): Promise<void> {
    this.calls[operation]++;
    const ms = this.#latency(operation);
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  }
}
