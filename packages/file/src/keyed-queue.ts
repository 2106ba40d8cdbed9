/**
 * Runs tasks one at a time per key, in call order. Writers to one record in
 * this process wait here instead of polling that record's file lock.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /**
   * Runs `task` after every task queued before it for `key`. The task learns
   * whether it had to wait: another write to the same record may have changed
   * what it is about to check.
   */
  run<T>(key: string, task: (waited: boolean) => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    // Tails never reject, so the next task runs whatever this one did.
    const result = previous ? previous.then(() => task(true)) : task(false);
    const settled = () => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
    const tail: Promise<void> = result.then(settled, settled);
    this.#tails.set(key, tail);
    return result;
  }

  /** Keys with a task running or waiting. */
  get size(): number {
    return this.#tails.size;
  }
}
