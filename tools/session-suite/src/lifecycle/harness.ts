import { randomBytes } from 'node:crypto';
import {
  SessionManager,
  type SessionManagerOptions,
  type SessionRecord,
  type SessionStore,
  type StoreCapabilities,
  type StoredSession,
  type UpdateOptions,
  type WriteResult,
} from '@sess/core';
import { afterwards } from '@sess/core/conformance';

/**
 * What the session lifecycle suites need from a store under test: the same
 * factory shape as the conformance suite's, so an adapter's tests can run
 * them too. A store declaring `expiry: 'sweep'` must read time from `now`;
 * the suites then move that clock by hand. A store with native expiry runs on
 * real time and the suites sleep instead (keep its timeouts in mind).
 */
export type LifecycleStoreFactory = (context: {
  namespace: string;
  now: () => number;
}) => StoreHandle | Promise<StoreHandle>;

export interface StoreHandle {
  readonly store: SessionStore;
  readonly dispose?: () => unknown;
}

export interface LifecycleSuiteOptions {
  /** Shown in the describe block. */
  readonly name: string;
  /** vitest's `it`, or `it.concurrent` for a store that can take it. */
  readonly test: TestFunction;
  readonly createStore: LifecycleStoreFactory;
}

/** A clock the test controls, or real time for stores that expire records themselves. */
export interface TestClock {
  readonly manual: boolean;
  now(): number;
  /** Moves time forward: instantly on a manual clock, by sleeping on real time. */
  advance(ms: number): Promise<void>;
}

/** One test's world: a fresh store in its own namespace, its clock, managers on it. */
export interface World {
  readonly store: SessionStore;
  /** The same store, counting and (when asked) holding the calls the manager makes. */
  readonly spy: SpyStore;
  readonly clock: TestClock;
  /** A manager over `spy`, with the test's clock. */
  manager(options?: Partial<SessionManagerOptions>): SessionManager;
  close(): Promise<void>;
}

let sequence = 0;
const runId = randomBytes(3).toString('hex');

export async function openWorld(factory: LifecycleStoreFactory): Promise<World> {
  let current = Date.now();
  const manualNow = () => current;
  const handle = await factory({
    namespace: `l${runId}_${(sequence++).toString(36)}`,
    now: manualNow,
  });
  const manual = handle.store.capabilities.expiry === 'sweep';
  const clock: TestClock = manual
    ? {
        manual,
        now: manualNow,
        advance: async (ms) => {
          current += ms;
        },
      }
    : {
        manual,
        now: () => Date.now(),
        advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      };
  const spy = new SpyStore(handle.store);
  return {
    store: handle.store,
    spy,
    clock,
    manager: (options = {}) => new SessionManager({ store: spy, now: clock.now, ...options }),
    async close() {
      try {
        await handle.store.close();
      } finally {
        await handle.dispose?.();
      }
    },
  };
}

type Operation = 'get' | 'create' | 'update' | 'touch' | 'destroy' | 'list' | 'destroyByUser';

export interface Call {
  readonly op: Operation;
  readonly id?: string;
  readonly options?: unknown;
}

/** A held call: it reaches the store only once released (a slow request). */
export interface Hold {
  /** Resolves when the held call has been made by the manager. */
  readonly reached: Promise<void>;
  release(): void;
}

/**
 * Delegates every call to the store under test, unchanged, and records it; a
 * test can hold the next call of one operation to interleave requests.
 */
export class SpyStore implements SessionStore {
  readonly calls: Call[] = [];
  readonly capabilities: StoreCapabilities;
  readonly #inner: SessionStore;
  readonly #holds = new Map<Operation, Array<{ arrived: () => void; gate: Promise<void> }>>();

  constructor(inner: SessionStore) {
    this.#inner = inner;
    this.capabilities = inner.capabilities;
    const { list, destroyByUser } = inner;
    if (list) {
      this.list = async (options) => {
        await this.#enter({ op: 'list', options });
        return list.call(inner, options);
      };
    }
    if (destroyByUser) {
      this.destroyByUser = async (userId, options) => {
        await this.#enter({ op: 'destroyByUser', options });
        return destroyByUser.call(inner, userId, options);
      };
    }
  }

  /** Calls of `op` so far (all when omitted). */
  callCount(op?: Operation): number {
    return op === undefined ? this.calls.length : this.calls.filter((c) => c.op === op).length;
  }

  reset(): void {
    this.calls.length = 0;
  }

  hold(op: Operation): Hold {
    let arrived!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const queue = this.#holds.get(op) ?? [];
    queue.push({ arrived, gate });
    this.#holds.set(op, queue);
    return { reached, release };
  }

  async #enter(call: Call): Promise<void> {
    this.calls.push(call);
    const held = this.#holds.get(call.op)?.shift();
    if (held) {
      held.arrived();
      await held.gate;
    }
  }

  async get(id: string): Promise<StoredSession | null> {
    await this.#enter({ op: 'get', id });
    return this.#inner.get(id);
  }

  async create(id: string, record: SessionRecord): Promise<WriteResult> {
    await this.#enter({ op: 'create', id });
    return this.#inner.create(id, record);
  }

  async update(id: string, record: SessionRecord, options?: UpdateOptions): Promise<WriteResult> {
    await this.#enter({ op: 'update', id, options });
    return this.#inner.update(id, record, options);
  }

  async touch(id: string, expiresAt: number): Promise<boolean> {
    await this.#enter({ op: 'touch', id });
    return this.#inner.touch(id, expiresAt);
  }

  async destroy(id: string): Promise<void> {
    await this.#enter({ op: 'destroy', id });
    return this.#inner.destroy(id);
  }

  declare readonly list?: NonNullable<SessionStore['list']>;
  declare readonly destroyByUser?: NonNullable<SessionStore['destroyByUser']>;

  async close(): Promise<void> {
    // The world closes the store under test itself.
  }
}

/** Runs `count` copies of `fn` at once. */
export function parallel<T>(count: number, fn: (index: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => fn(i)));
}

/** The token of a commit that set the cookie; fails the test otherwise. */
export function tokenOf(result: unknown): string {
  if (typeof result === 'object' && result !== null && 'token' in result) {
    return (result as { token: string }).token;
  }
  throw new Error(`expected a cookie with a token, got ${JSON.stringify(result)}`);
}

/** Marks the running test as skipped, with the reason shown in the report. */
export type Skip = (reason: string) => void;

/** Registers one rule as a test with a fresh world, closed whatever the outcome. */
export type Rule = (name: string, body: (world: World, skip: Skip) => Promise<void>) => void;

/** The runner's test function (vitest's `it`); its context can skip at run time. */
export type TestFunction = (
  name: string,
  fn: (context: { skip: (note?: string) => void }) => Promise<void>,
) => void;

export function ruleFor(factory: LifecycleStoreFactory, test: TestFunction): Rule {
  return (name, body) =>
    test(name, async (context) => {
      const world = await openWorld(factory);
      await afterwards(
        () => body(world, (reason) => context.skip(reason)),
        () => world.close(),
      );
    });
}
