import { randomBytes } from 'node:crypto';
import type { SessionRecord, SessionStore, StoreCapabilities } from '../contract.js';
import type { ConformanceOptions, StoreHandle } from './options.js';
import { eventually, sleep } from './timing.js';

/** A clock the suite moves by hand. */
export interface ManualClock {
  now(): number;
  advance(ms: number): void;
}

export function manualClock(start = Date.now()): ManualClock {
  let current = start;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
  };
}

/** Real-time bounds after scaling. */
export interface ResolvedTiming {
  readonly scale: number;
  readonly slackMs: number;
  readonly recoveryMs: number;
}

/** What each conformance test receives. */
export interface ConformanceContext {
  /** The store under test, fresh and empty. */
  readonly store: SessionStore;
  readonly capabilities: StoreCapabilities;
  readonly namespace: string;
  /** The store's injected clock; undefined when the store runs on real time. */
  readonly clock: ManualClock | undefined;
  readonly timing: ResolvedTiming;
  readonly options: ConformanceOptions;
  /** The store's idea of now. */
  now(): number;
  /** A fresh valid session id. */
  newId(): string;
  /** `now() + ms`. */
  expiresIn(ms: number): number;
  /** A record living for an hour. */
  record(data?: string, userId?: string): SessionRecord;
  /**
   * Another store of the same kind (closed and disposed with the test), in a
   * fresh namespace or in the one given: a test of namespaces that are
   * prefixes of each other passes `namespace + 'b'`.
   */
  openStore(namespace?: string): Promise<SessionStore>;
  /**
   * Writes `id` with a short life and returns once the store no longer
   * returns it: by moving the clock, or by waiting in real time.
   */
  createExpired(id: string, record?: Partial<SessionRecord>, store?: SessionStore): Promise<void>;
}

const runId = randomBytes(4).readUInt32BE(0).toString(36).padStart(6, '0').slice(0, 6);
let sequence = 0;

/** `s` + 6 random characters + a counter: unique across concurrent runs, and a valid SQL identifier. */
export function nextNamespace(): string {
  return `s${runId}_${(sequence++).toString(36)}`;
}

let idSequence = 0;
function nextId(): string {
  return `id_${randomBytes(9).toString('base64url')}_${(idSequence++).toString(36)}`;
}

const HOUR = 3_600_000;

/**
 * Opens the stores of one test and closes and disposes all of them when the
 * test ends, whatever its outcome.
 */
export class StoreScope {
  readonly #handles: StoreHandle[] = [];
  readonly #options: ConformanceOptions;
  readonly #clock: ManualClock | undefined;

  constructor(options: ConformanceOptions, clock: ManualClock | undefined) {
    this.#options = options;
    this.#clock = clock;
  }

  async open(namespace = nextNamespace()): Promise<StoreHandle> {
    const handle = await this.#options.createStore(
      this.#clock ? { namespace, now: this.#clock.now } : { namespace },
    );
    this.#handles.push(handle);
    return handle;
  }

  /** Closes then disposes every store, last opened first; rethrows the first failure. */
  async closeAll(): Promise<void> {
    const failures: unknown[] = [];
    for (const handle of this.#handles.splice(0).reverse()) {
      try {
        await handle.store.close();
      } catch (error) {
        failures.push(error);
      }
      try {
        await handle.dispose?.();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) {
      throw new AggregateError(failures, 'Closing or disposing a store failed after the test.');
    }
  }
}

export function createContext(
  handle: StoreHandle,
  namespace: string,
  scope: StoreScope,
  clock: ManualClock | undefined,
  timing: ResolvedTiming,
  options: ConformanceOptions,
): ConformanceContext {
  const { store } = handle;
  const now = clock ? clock.now : Date.now;
  const resolutionMs = store.capabilities.ttlResolutionMs;
  const context: ConformanceContext = {
    store,
    capabilities: store.capabilities,
    namespace,
    clock,
    timing,
    options,
    now,
    newId: nextId,
    expiresIn: (ms) => now() + ms,
    record: (data = 'payload', userId) => ({
      data,
      expiresAt: now() + HOUR,
      ...(userId === undefined ? {} : { userId }),
    }),
    openStore: async (other) => (await scope.open(other)).store,
    async createExpired(id, partial = {}, target = store) {
      if (clock) {
        const written = await target.create(id, {
          ...context.record(),
          ...partial,
          expiresAt: now() + 1000,
        });
        if (!written.ok) throw new Error(`Setting up an expired record failed: ${written.reason}.`);
        clock.advance(1000);
        return;
      }
      // Long enough for the write to land before it expires, whatever the resolution.
      const lifeMs = timing.scale * (resolutionMs + 100);
      const expiresAt = Date.now() + lifeMs;
      const written = await target.create(id, { ...context.record(), ...partial, expiresAt });
      if (!written.ok) throw new Error(`Setting up an expired record failed: ${written.reason}.`);
      await sleep(Math.max(0, expiresAt - Date.now()));
      await eventually(
        async () => (await target.get(id)) === null,
        resolutionMs + timing.slackMs * timing.scale,
        'the short-lived record to expire',
      );
    },
  };
  return context;
}

/**
 * Runs a test body, then its clean-up, whatever the body did. When both fail
 * the body's failure is the one reported: a clean-up that failed because the
 * test did is a symptom, and must not hide the cause. For tests of your own
 * beside the suite.
 *
 * @example
 * it('keeps sessions across a restart', async () => {
 *   const store = new MyStore(options);
 *   await afterwards(
 *     async () => {
 *       // ...the test
 *     },
 *     () => store.close(),
 *   );
 * });
 */
export async function afterwards(body: () => Promise<void>, cleanUp: () => Promise<void>) {
  let failure: { error: unknown } | undefined;
  try {
    await body();
  } catch (error) {
    failure = { error };
  }
  try {
    await cleanUp();
  } catch (error) {
    if (!failure) throw error;
    throw new AggregateError(
      [failure.error, error],
      `${messageOf(failure.error)} (and cleaning up after it failed too: ${messageOf(error)})`,
    );
  }
  if (failure) throw failure.error;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
