import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type DestroyByUserOptions,
  type ListOptions,
  type ListPage,
  type SessionRecord,
  type SessionStore,
  type StoreCapabilities,
  type StoredSession,
  StoreUnavailableError,
  type UpdateOptions,
  type WriteResult,
} from '@sess/core';

/**
 * How a held call proceeds:
 * - `run`: as sent;
 * - `drop`: it never reaches the store (the request was lost);
 * - `late`: the caller gives up on it (a timeout), and the store applies it
 *   later, at a point the scheduler picks like any other call's (right away
 *   being the case of a lost reply);
 * - `crash`: it is applied, then nothing more happens: the process that made
 *   it died, and its operation never goes on.
 * `drop` and `late` reject with `StoreUnavailableError`, as a store whose
 * connection broke or timed out would.
 */
export type Outcome = 'run' | 'drop' | 'late' | 'crash';

/** A call into one of the tiers, held until the scheduler lets it go. */
export interface Step {
  readonly op: number;
  readonly seq: number;
  readonly tier: 'cache' | 'durable';
  readonly method: string;
  /** The session id the call is about; `*` for calls about the whole store. */
  readonly key: string;
  go(outcome: Outcome): void;
}

const READS = new Set(['get', 'list', 'count', 'late get', 'late list']);

/**
 * Whether two held calls commute: run in either order, they leave the
 * stores in the same state and give the same results. Calls to different
 * stores or about different sessions do, and so do two reads. A call that
 * fails is never taken to commute (the failure changes what the store
 * does next).
 */
export function independent(a: Step, b: Step): boolean {
  if (a.tier !== b.tier) return true;
  if (READS.has(a.method) && READS.has(b.method)) return true;
  return a.key !== '*' && b.key !== '*' && a.key !== b.key;
}

const operation = new AsyncLocalStorage<{ op: number; seq: number }>();

/**
 * Holds every call the wrapped stores receive, so a test decides the order
 * in which concurrent operations reach the stores, and what fails.
 * In `auto` mode calls go straight through.
 */
export class Scheduler {
  auto = true;
  readonly pending: Step[] = [];

  /** Runs `fn` as operation number `op`: its calls are tagged with it. */
  run<T>(op: number, fn: () => Promise<T>): Promise<T> {
    return operation.run({ op, seq: 0 }, fn);
  }

  async enter(tier: Step['tier'], method: string, key: string): Promise<Outcome> {
    if (this.auto) return 'run';
    const context = operation.getStore() ?? { op: -1, seq: 0 };
    return new Promise<Outcome>((resolve) => {
      this.pending.push({ op: context.op, seq: context.seq++, tier, method, key, go: resolve });
    });
  }

  /** Holds a call the caller gave up on; it reaches the store when released. */
  late(tier: Step['tier'], method: string, key: string, call: () => Promise<unknown>): void {
    const context = operation.getStore() ?? { op: -1, seq: 0 };
    this.pending.push({
      op: context.op,
      seq: context.seq++,
      tier,
      method: `late ${method}`,
      key,
      go: () => {
        call().catch(() => undefined);
      },
    });
  }

  /** Operations whose process died: their calls never reach a store again. */
  readonly crashed = new Set<number>();

  /** The held calls, in an order that depends only on what ran before. */
  choices(): Step[] {
    return this.pending
      .filter((step) => !this.crashed.has(step.op))
      .sort((a, b) => a.op - b.op || a.seq - b.seq);
  }

  release(step: Step, outcome: Outcome): void {
    this.pending.splice(this.pending.indexOf(step), 1);
    step.go(outcome);
  }
}

/** Lets every promise that can settle now settle (store calls here never wait for I/O). */
export async function quiesce(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

/** A store whose every call waits for the scheduler, then reaches the real store (or fails). */
export class ScheduledStore implements SessionStore {
  readonly capabilities: StoreCapabilities;
  readonly #inner: SessionStore;
  readonly #scheduler: Scheduler;
  readonly #tier: Step['tier'];

  /** The version of every write the store applied, whatever became of its reply. */
  readonly written = new Set<string>();

  constructor(inner: SessionStore, scheduler: Scheduler, tier: Step['tier']) {
    this.#inner = inner;
    this.#scheduler = scheduler;
    this.#tier = tier;
    this.capabilities = inner.capabilities;
  }

  async #call<T>(method: string, send: () => Promise<T>, key = '*'): Promise<T> {
    const call = () =>
      send().then((result) => {
        const version = (result as { ok?: boolean; version?: unknown } | null)?.version;
        if (typeof version === 'string' && !Object.hasOwn(result as object, 'data')) {
          this.written.add(version);
        }
        return result;
      });
    const outcome = await this.#scheduler.enter(this.#tier, method, key);
    if (outcome === 'drop') throw new StoreUnavailableError(`${method}: request lost`);
    if (outcome === 'late') {
      // The store gets the call once the scheduler releases it again.
      this.#scheduler.late(this.#tier, method, key, call);
      throw new StoreUnavailableError(`${method}: timed out`);
    }
    const result = await call();
    if (outcome === 'crash') return new Promise<T>(() => {});
    return result;
  }

  get(id: string): Promise<StoredSession | null> {
    return this.#call('get', () => this.#inner.get(id), id);
  }
  create(id: string, record: SessionRecord): Promise<WriteResult> {
    return this.#call('create', () => this.#inner.create(id, record), id);
  }
  update(id: string, record: SessionRecord, options?: UpdateOptions): Promise<WriteResult> {
    return this.#call('update', () => this.#inner.update(id, record, options), id);
  }
  touch(id: string, expiresAt: number): Promise<boolean> {
    return this.#call('touch', () => this.#inner.touch(id, expiresAt), id);
  }
  destroy(id: string): Promise<void> {
    return this.#call('destroy', () => this.#inner.destroy(id), id);
  }
  list(options?: ListOptions): Promise<ListPage> {
    return this.#call('list', () => this.#inner.list?.(options) as Promise<ListPage>);
  }
  count(): Promise<number> {
    return this.#call('count', () => this.#inner.count?.() as Promise<number>);
  }
  destroyByUser(userId: string, options?: DestroyByUserOptions): Promise<number> {
    return this.#call(
      'destroyByUser',
      () => this.#inner.destroyByUser?.(userId, options) as Promise<number>,
    );
  }
  clearExpired(): Promise<number> {
    return this.#call('clearExpired', () => this.#inner.clearExpired?.() as Promise<number>);
  }
  clear(): Promise<void> {
    return this.#call('clear', () => this.#inner.clear?.() as Promise<void>);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}
