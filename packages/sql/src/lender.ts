/** The part of knex's client the store uses: its pool, through the client's own methods. */
export interface KnexClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
  readonly pool?: { readonly max?: number; numPendingAcquires?(): number } | null;
}

import { StoreUnavailableError } from '@sess/core';

type Waiter = { resolve(connection: unknown): void; reject(error: unknown): void };

/** How one statement is bounded. */
export interface Bound {
  readonly timeoutMs: number;
  /** Names the operation in the timeout error. */
  readonly what: string;
  /**
   * Ends a connection whose statement ran past the bound, so the statement
   * fails at once instead of holding the connection for as long as the
   * network hides the server (a silent drop can last minutes); knex then
   * discards the connection.
   */
  readonly kill: (connection: unknown) => void;
}

/**
 * Lends knex's pooled connections to single statements, without a round
 * trip through the pool for every one of them.
 *
 * A connection freed by one statement is kept for the store's next statement
 * until the event loop turns (`setImmediate`), then handed back to knex. Under
 * steady load a busy store keeps its connections instead of checking each
 * one in and out per query; once the load stops they are back in the pool
 * within a turn. A connection anyone else is waiting for (the application's
 * own queries) goes straight back to the pool. The store never holds more
 * connections than the pool's `max`; beyond that its statements queue here.
 */
export class Lender {
  readonly #client: KnexClient;
  readonly #idle: unknown[] = [];
  readonly #waiters: Waiter[] = [];
  /** Connections this store holds, in use or idle. */
  #held = 0;
  /** Acquires this store has asked knex's pool for and not yet received. */
  #acquiring = 0;
  #flushScheduled = false;

  constructor(client: KnexClient) {
    this.#client = client;
  }

  /** Statements waiting for a connection (for tests: a caller that gave up is not among them). */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Runs `work` on a lent connection within `bound`, and takes the
   * connection back whatever happens. Past the bound the caller gets
   * `StoreUnavailableError` at once: a statement still waiting for a
   * connection leaves the queue, and one running has its connection ended.
   */
  run<T>(work: (connection: unknown) => Promise<T>, bound: Bound): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let lent: unknown;
      let timedOut = false;
      const waiter: Waiter = {
        resolve: (connection) => {
          if (timedOut) {
            this.#give(connection); // it arrived for a caller that has gone
            return;
          }
          lent = connection;
          work(connection)
            .then(resolve, reject)
            .finally(() => {
              clearTimeout(timer);
              this.#give(connection);
            });
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        timedOut = true;
        if (lent === undefined) this.#withdraw(waiter);
        else bound.kill(lent);
        reject(
          new StoreUnavailableError(`${bound.what} did not answer within ${bound.timeoutMs} ms.`),
        );
      }, bound.timeoutMs);
      this.#take(waiter);
    });
  }

  /** Hands every idle connection back to knex now. */
  flush(): void {
    while (this.#idle.length > 0) this.#release(this.#idle.pop());
  }

  /** Hands `waiter` an idle connection, a new one from knex, or a place in the queue. */
  #take(waiter: Waiter): void {
    while (this.#idle.length > 0) {
      const connection = this.#idle.pop();
      if (!isDisposed(connection)) {
        waiter.resolve(connection);
        return;
      }
      this.#release(connection);
    }
    if (this.#held < this.#cap()) this.#acquire().then(waiter.resolve, waiter.reject);
    else this.#waiters.push(waiter);
  }

  /** Takes a caller that gave up out of the queue, so the queue never grows with them. */
  #withdraw(waiter: Waiter): void {
    const at = this.#waiters.indexOf(waiter);
    if (at >= 0) this.#waiters.splice(at, 1);
  }

  #acquire(): Promise<unknown> {
    this.#held++;
    this.#acquiring++;
    return this.#client.acquireConnection().then(
      (connection) => {
        this.#acquiring--;
        return connection;
      },
      (error: unknown) => {
        this.#acquiring--;
        this.#held--;
        // A slot is free again: a queued statement tries for it (and fails fast
        // too while the database is down) rather than waiting for a release.
        this.#wakeOne();
        throw error;
      },
    );
  }

  #give(connection: unknown): void {
    const waiter = this.#waiters.shift();
    if (isDisposed(connection) || this.#othersWaiting()) {
      this.#release(connection);
      if (waiter) this.#take(waiter);
      return;
    }
    if (waiter) {
      waiter.resolve(connection);
      return;
    }
    this.#idle.push(connection);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        this.flush();
      });
    }
  }

  #wakeOne(): void {
    const waiter = this.#waiters.shift();
    if (waiter) this.#take(waiter);
  }

  #release(connection: unknown): void {
    this.#held--;
    try {
      void this.#client.releaseConnection(connection).catch(() => undefined);
    } catch {
      // knex was destroyed: its pool is gone and so is the connection.
    }
  }

  #cap(): number {
    return this.#client.pool?.max ?? 1;
  }

  /** True when someone other than this store waits for one of knex's connections. */
  #othersWaiting(): boolean {
    const pending = this.#client.pool?.numPendingAcquires?.() ?? 0;
    return pending > this.#acquiring;
  }
}

/** knex marks a connection that failed or ended; the pool discards it when it comes back. */
function isDisposed(connection: unknown): boolean {
  return Boolean((connection as { __knex__disposed?: unknown } | null)?.__knex__disposed);
}
