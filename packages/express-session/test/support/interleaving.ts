import type { SessionStore } from '@sess/core';
import type { LegacyStore } from '../../src/index.js';

/**
 * Runs the store calls of two actors one at a time, in a given order, so a
 * test can try every interleaving of two operations. `order` names whose
 * call goes next ("MDM..."); an actor that has finished is skipped, and once
 * the order is used up calls run as they come. A call starts only after the
 * previous one has completed, so each step's effect lands in order.
 */
export class Interleaving {
  #position = 0;
  #running = false;
  readonly #finished = new Set<string>();
  #waiting: Array<() => void> = [];

  constructor(readonly order: string) {}

  async run<T>(actor: string, call: () => Promise<T>): Promise<T> {
    while (!this.#mayRun(actor)) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#running = true;
    try {
      return await call();
    } finally {
      this.#running = false;
      this.#position++;
      this.#wake();
    }
  }

  /** The actor's operation has completed: its turns are skipped from now on. */
  finish(actor: string): void {
    this.#finished.add(actor);
    this.#wake();
  }

  #mayRun(actor: string): boolean {
    if (this.#running) return false;
    while (
      this.#position < this.order.length &&
      this.#finished.has(this.order[this.#position] as string)
    ) {
      this.#position++;
    }
    return this.#position >= this.order.length || this.order[this.#position] === actor;
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const resolve of waiting) resolve();
  }
}

/** Every string with `a` times `x` and `b` times `y`. */
export function orders(x: string, a: number, y: string, b: number): string[] {
  if (a === 0) return [y.repeat(b)];
  if (b === 0) return [x.repeat(a)];
  return [
    ...orders(x, a - 1, y, b).map((rest) => x + rest),
    ...orders(x, a, y, b - 1).map((rest) => y + rest),
  ];
}

const SESS_CALLS = new Set(['get', 'create', 'update', 'touch', 'destroy']);

/** The sess store, with each data call taking its turn as `actor`. */
export function scheduledSess(
  store: SessionStore,
  actor: string,
  schedule: Interleaving,
): SessionStore {
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const call = (...args: unknown[]) => value.apply(target, args);
      return SESS_CALLS.has(String(property))
        ? (...args: unknown[]) => schedule.run(actor, () => call(...args))
        : call;
    },
  });
}

/** The legacy store, with `get` and `destroy` taking their turn as `actor`. */
export function scheduledLegacy(
  legacy: LegacyStore,
  actor: string,
  schedule: Interleaving,
): LegacyStore {
  const turn =
    (method: 'get' | 'destroy') =>
    (sid: string, done: (error: unknown, value?: unknown) => void) => {
      void schedule
        .run(
          actor,
          () =>
            new Promise((resolve, reject) => {
              legacy[method](sid, (error: unknown, value?: unknown) =>
                error ? reject(error) : resolve(value),
              );
            }),
        )
        .then(
          (value) => done(null, value),
          (error: unknown) => done(error),
        );
    };
  return { get: turn('get'), destroy: turn('destroy') };
}
