/**
 * The timeouts of the calls in flight, on one timer. Calls share one bound,
 * so they fall due in the order they were sent: a queue, checked by a timer
 * set for its oldest unsettled call. This replaces a `setTimeout` and a
 * `clearTimeout` per call, a large share of the store's own cost per call,
 * with a push and a flag.
 */
export interface Deadline {
  readonly due: number;
  /** Set when the call settled; the queue drops it when it reaches the front. */
  settled: boolean;
  readonly expire: () => void;
  /** Only for a call with a bound of its own. */
  readonly timer?: NodeJS.Timeout;
}

export class Deadlines {
  readonly #boundMs: number;
  readonly #queue: Deadline[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  /** `boundMs`: the bound most calls have; they share the queue. */
  constructor(boundMs: number) {
    this.#boundMs = boundMs;
  }

  /** Calls `expire` in `ms` unless the call settles first. */
  add(ms: number, expire: () => void): Deadline {
    const due = Date.now() + ms;
    if (ms !== this.#boundMs) {
      // Rare (what is left of the bound after waiting for a connection): it
      // would fall due out of order, so it gets a timer of its own.
      return { due, settled: false, expire, timer: setTimeout(expire, ms) };
    }
    const deadline: Deadline = { due, settled: false, expire };
    this.#queue.push(deadline);
    this.#timer ??= this.#arm(ms);
    return deadline;
  }

  /** Marks a call settled, and drops the settled calls at the front of the queue. */
  settle(deadline: Deadline): void {
    deadline.settled = true;
    if (deadline.timer !== undefined) {
      clearTimeout(deadline.timer);
      return;
    }
    const queue = this.#queue;
    while (this.#head < queue.length && (queue[this.#head] as Deadline).settled) this.#head++;
    if (this.#head === queue.length) {
      queue.length = 0;
      this.#head = 0;
    } else if (this.#head > 1_024 && this.#head * 2 > queue.length) {
      queue.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #arm(ms: number): NodeJS.Timeout {
    // Unref'd: a call in flight keeps the process alive through its socket.
    return setTimeout(() => this.#check(), Math.max(ms, 1)).unref();
  }

  #check(): void {
    this.#timer = undefined;
    const now = Date.now();
    const queue = this.#queue;
    for (; this.#head < queue.length; this.#head++) {
      const next = queue[this.#head] as Deadline;
      if (next.settled) continue;
      if (next.due > now) {
        this.#timer = this.#arm(next.due - now);
        return;
      }
      next.settled = true;
      next.expire();
    }
    queue.length = 0;
    this.#head = 0;
  }
}
