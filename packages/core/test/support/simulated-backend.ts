import type { ConformanceFaults } from '../../src/conformance/index.js';
import type {
  SessionRecord,
  SessionStore,
  StoreCapabilities,
  StoredSession,
  UpdateOptions,
} from '../../src/index.js';
import { MemoryStore } from '../../src/index.js';
import { assertSessionId, withTimeout } from '../../src/store-kit/index.js';

/**
 * A backend link that can go down: while down, every round trip hangs, as a
 * request to a dead server with a pending socket does.
 */
export class SimulatedLink implements ConformanceFaults {
  #down = false;
  #waiting: Array<() => void> = [];

  async stop(): Promise<void> {
    this.#down = true;
  }

  async start(): Promise<void> {
    this.#down = false;
    for (const wake of this.#waiting.splice(0)) wake();
  }

  get down(): boolean {
    return this.#down;
  }

  /** Resolves after a tick while up; never resolves while down. */
  roundTrip(): Promise<void> {
    if (this.#down) return new Promise(() => {});
    return new Promise((resolve) => setImmediate(resolve));
  }
}

export const OPERATION_TIMEOUT_MS = 200;

/**
 * A store over a simulated backend, written to the contract: every call is
 * bounded by `operationTimeoutMs`, and a corrupt record reads as a miss.
 * Core's tests use it to exercise the fault and corrupt tiers; its broken
 * variants override single methods.
 */
export class SimulatedBackendStore implements SessionStore {
  readonly capabilities: StoreCapabilities;
  readonly corrupted = new Set<string>();
  protected readonly inner: MemoryStore;
  protected readonly link: SimulatedLink;

  constructor(link: SimulatedLink, now?: () => number) {
    this.link = link;
    this.inner = new MemoryStore(now ? { now, maxPayloadBytes: 4096 } : { maxPayloadBytes: 4096 });
    this.capabilities = { ...this.inner.capabilities, operationTimeoutMs: OPERATION_TIMEOUT_MS };
  }

  protected call<T>(operation: () => Promise<T>): Promise<T> {
    return withTimeout(
      this.link.roundTrip().then(operation),
      OPERATION_TIMEOUT_MS,
      'the simulated backend',
    );
  }

  get(id: string): Promise<StoredSession | null> {
    return this.call(async () => {
      assertSessionId(id);
      if (this.corrupted.has(id)) return null;
      return this.inner.get(id);
    });
  }

  create(id: string, record: SessionRecord) {
    return this.call(async () => {
      const result = await this.inner.create(id, record);
      if (result.ok || !this.corrupted.has(id)) return result;
      // A corrupt record is not live: replace it.
      this.corrupted.delete(id);
      await this.inner.destroy(id);
      return this.inner.create(id, record);
    });
  }

  update(id: string, record: SessionRecord, options?: UpdateOptions) {
    return this.call(async () => {
      if (this.corrupted.has(id)) return { ok: false, reason: 'missing' } as const;
      return this.inner.update(id, record, options);
    });
  }

  touch(id: string, expiresAt: number) {
    return this.call(async () =>
      this.corrupted.has(id) ? false : this.inner.touch(id, expiresAt),
    );
  }

  destroy(id: string) {
    return this.call(async () => {
      await this.inner.destroy(id);
      this.corrupted.delete(id);
    });
  }

  list(options?: Parameters<MemoryStore['list']>[0]) {
    return this.call(async () => {
      const page = await this.inner.list(options);
      return { ...page, ids: page.ids.filter((id) => !this.corrupted.has(id)) };
    });
  }

  count() {
    return this.call(() => this.inner.count());
  }

  destroyByUser(userId: string, options?: { except?: string }) {
    return this.call(() => this.inner.destroyByUser(userId, options));
  }

  clearExpired() {
    return this.call(() => this.inner.clearExpired());
  }

  clear() {
    return this.call(() => this.inner.clear());
  }

  async close(): Promise<void> {
    await this.inner.close();
  }
}
