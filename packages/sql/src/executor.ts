import { StoreUnavailableError } from '@sess/core';
import { asUnavailable, withTimeout } from '@sess/core/store-kit';
import type { Database, Statement as SqliteStatement } from 'better-sqlite3';
import type { Knex } from 'knex';
import type { Connection as MysqlConnection, ResultSetHeader } from 'mysql2';
import type { Client as PgClient } from 'pg';
import type { Dialect } from './dialect.js';
import { asStoreError } from './driver-errors.js';
import { type KnexClient, Lender } from './lender.js';
import type { Statement } from './statements.js';

/** What a data-changing statement did. */
export interface RunResult {
  readonly changes: number;
  /** MySQL's insertId (the create statement uses it to report its outcome); 0 elsewhere. */
  readonly insertId: number;
}

/**
 * Runs the store's statements on knex's own connections with the driver's
 * fastest path: cached prepared statements on SQLite, named prepared
 * statements on PostgreSQL, `execute` on MySQL. knex still owns the pool,
 * its settings and its connection lifecycle; the query builder is bypassed
 * because compiling a query costs more than running it.
 *
 * Results may be plain values (the synchronous SQLite path) or promises.
 */
export interface Executor {
  readonly dialect: Dialect;
  /** The first row as an array of column values, or undefined. */
  first(
    statement: Statement,
    params: unknown[],
    what: string,
  ): Promise<unknown[] | undefined> | unknown[] | undefined;
  /** Every row, each as an array of column values. */
  all(statement: Statement, params: unknown[], what: string): Promise<unknown[][]> | unknown[][];
  run(statement: Statement, params: unknown[], what: string): Promise<RunResult> | RunResult;
  /**
   * Runs `work` on one connection held for its whole duration (sweeps hold
   * an advisory lock on it). Getting the connection and each call on the
   * session are bounded; `work` as a whole is not.
   */
  withSession<T>(work: (session: Session) => Promise<T>, what: string): Promise<T>;
  /** Hands connections it keeps between statements back to knex's pool. */
  close(): void;
}

/** One held connection. Every call is bounded by the store's timeout. */
export interface Session {
  all(sql: Statement | string, params: unknown[], what: string): Promise<unknown[][]>;
  run(sql: Statement | string, params: unknown[], what: string): Promise<RunResult>;
}

function clientOf(knex: Knex): KnexClient {
  return knex.client as KnexClient;
}

/** Borrows a connection from knex's pool for `work` and always gives it back. */
async function borrow<T>(
  client: KnexClient,
  work: (connection: unknown) => Promise<T> | T,
): Promise<T> {
  const connection = await client.acquireConnection();
  try {
    return await work(connection);
  } finally {
    await client.releaseConnection(connection);
  }
}

/**
 * Acquires a connection within `ms`. One that arrives after the deadline is
 * handed straight back to the pool instead of leaking.
 */
function acquireWithin(client: KnexClient, ms: number, what: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(new StoreUnavailableError(`${what} got no connection within ${ms} ms.`));
    }, ms);
    client.acquireConnection().then(
      (connection) => {
        if (settled) {
          void client.releaseConnection(connection);
          return;
        }
        settled = true;
        clearTimeout(timer);
        resolve(connection);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(asUnavailable(error, what));
      },
    );
  });
}

export function createExecutor(dialect: Dialect, knex: Knex, timeoutMs: number): Executor {
  switch (dialect) {
    case 'sqlite':
      return new SqliteExecutor(clientOf(knex), timeoutMs);
    case 'postgres':
      return new PooledExecutor(pgWire, clientOf(knex), timeoutMs);
    case 'mysql':
      return new PooledExecutor(mysqlWire, clientOf(knex), timeoutMs);
  }
}

const NO_CHANGE: RunResult = { changes: 0, insertId: 0 };

/**
 * SQLite through better-sqlite3, which is synchronous. The store keeps the
 * connection knex's pool handed it last and runs cached statements on it
 * directly, as long as it is open and no transaction is open on it (knex
 * may be inside one for the application). Otherwise the call goes through
 * the pool, which waits for the transaction like any other query would.
 */
class SqliteExecutor implements Executor {
  readonly dialect = 'sqlite' as const;
  readonly #client: KnexClient;
  readonly #timeoutMs: number;
  #db: Database | undefined;
  #cache = new Map<string, SqliteStatement>();

  constructor(client: KnexClient, timeoutMs: number) {
    this.#client = client;
    this.#timeoutMs = timeoutMs;
  }

  first(statement: Statement, params: unknown[], what: string) {
    return this.#execute(
      (db) => this.#prepare(db, statement, true).get(...params) as unknown[] | undefined,
      what,
    );
  }

  all(statement: Statement, params: unknown[], what: string) {
    return this.#execute(
      (db) => this.#prepare(db, statement, true).all(...params) as unknown[][],
      what,
    );
  }

  run(statement: Statement, params: unknown[], what: string) {
    return this.#execute((db): RunResult => {
      const { changes } = this.#prepare(db, statement, false).run(...params);
      return changes === 0 ? NO_CHANGE : { changes, insertId: 0 };
    }, what);
  }

  close(): void {}

  withSession<T>(work: (session: Session) => Promise<T>, what: string): Promise<T> {
    // SQLite serialises writers itself and has no advisory locks; each call
    // of the session is one statement (one implicit transaction), so other
    // work interleaves between batches.
    const session: Session = {
      all: async (sql, params, w) => this.all(this.#adhoc(sql), params, w),
      run: async (sql, params, w) => this.run(this.#adhoc(sql), params, w),
    };
    return work(session).catch((error: unknown) => {
      throw asStoreError(error, what, 'sqlite');
    });
  }

  #adhoc(sql: Statement | string): Statement {
    return typeof sql === 'string' ? { name: sql, sql } : sql;
  }

  /** Runs `work` synchronously on the cached connection, or through the pool when it cannot be used. */
  #execute<T>(work: (db: Database) => T, what: string): T | Promise<T> {
    const db = this.#ready();
    if (db === undefined) return this.#viaPool(work, what);
    try {
      return work(db);
    } catch (error) {
      throw asStoreError(error, what, 'sqlite');
    }
  }

  #ready(): Database | undefined {
    const db = this.#db;
    return db?.open && !db.inTransaction ? db : undefined;
  }

  #viaPool<T>(work: (db: Database) => T, what: string): Promise<T> {
    const call = borrow(this.#client, (connection) => work(this.#adopt(connection as Database)));
    return withTimeout(
      call.catch((error: unknown) => {
        throw asStoreError(error, what, 'sqlite');
      }),
      this.#timeoutMs,
      what,
    );
  }

  #adopt(db: Database): Database {
    if (db !== this.#db) {
      this.#db = db;
      this.#cache = new Map();
    }
    return db;
  }

  #prepare(db: Database, statement: Statement, reader: boolean): SqliteStatement {
    let prepared = this.#cache.get(statement.sql);
    if (prepared === undefined) {
      prepared = db.prepare(statement.sql);
      // Numbers, not BigInts, whatever the application set as the default.
      if (reader) prepared.raw(true).safeIntegers(false);
      this.#cache.set(statement.sql, prepared);
    }
    return prepared;
  }
}

/** How one networked driver sends a statement on a connection and reads the outcome. */
export interface Wire {
  readonly dialect: 'postgres' | 'mysql';
  rows(connection: unknown, sql: Statement | string, params: unknown[]): Promise<unknown[][]>;
  run(connection: unknown, sql: Statement | string, params: unknown[]): Promise<RunResult>;
  /**
   * Ends a connection at once, failing the statement running on it. Neither
   * driver's own `end()` does for a silent network (mysql2's leaves the
   * pending callback unanswered), so the socket is destroyed.
   */
  kill(connection: unknown): void;
}

/**
 * Marks a connection for knex to discard when it comes back (knex's own mark:
 * a failed statement's callback does not always reach knex's listeners), and
 * destroys its socket.
 */
function kill(connection: unknown, socket: { destroy(error?: Error): void } | undefined): void {
  const error = new Error('The statement ran past operationTimeoutMs; the connection was ended.');
  (connection as { __knex__disposed?: unknown }).__knex__disposed = error;
  socket?.destroy(error);
}

/** PostgreSQL through pg: named prepared statements, rows as arrays. */
export const pgWire: Wire = {
  dialect: 'postgres',
  rows: async (connection, sql, params) => (await query(connection as PgClient, sql, params)).rows,
  run: async (connection, sql, params) => {
    const { rowCount } = await query(connection as PgClient, sql, params);
    return { changes: rowCount ?? 0, insertId: 0 };
  },
  kill: (connection) => kill(connection, socketOfPg(connection)),
};

/** MySQL and MariaDB through mysql2: `execute` (server-side prepared, cached per connection). */
export const mysqlWire: Wire = {
  dialect: 'mysql',
  rows: (connection, sql, params) =>
    execute(connection as MysqlConnection, textOf(sql), params) as Promise<unknown[][]>,
  run: async (connection, sql, params) =>
    toRun(await execute(connection as MysqlConnection, textOf(sql), params)),
  kill: (connection) => kill(connection, socketOfMysql(connection)),
};

/**
 * PostgreSQL and MySQL: every statement on a connection lent by knex's pool
 * (kept for the next statement while the event loop turns), bounded by the
 * store's timeout.
 */
class PooledExecutor implements Executor {
  readonly dialect: Wire['dialect'];
  readonly #wire: Wire;
  readonly #client: KnexClient;
  readonly #lender: Lender;
  readonly #timeoutMs: number;

  constructor(wire: Wire, client: KnexClient, timeoutMs: number) {
    this.dialect = wire.dialect;
    this.#wire = wire;
    this.#client = client;
    this.#lender = new Lender(client);
    this.#timeoutMs = timeoutMs;
  }

  close(): void {
    this.#lender.flush();
  }

  first(statement: Statement, params: unknown[], what: string) {
    return this.#bounded(async (c) => (await this.#wire.rows(c, statement, params))[0], what);
  }

  all(statement: Statement, params: unknown[], what: string) {
    return this.#bounded((c) => this.#wire.rows(c, statement, params), what);
  }

  run(statement: Statement, params: unknown[], what: string) {
    return this.#bounded((c) => this.#wire.run(c, statement, params), what);
  }

  withSession<T>(work: (session: Session) => Promise<T>, what: string): Promise<T> {
    const timeoutMs = this.#timeoutMs;
    const wire = this.#wire;
    // A call past the bound ends the connection, as a lent statement's does.
    const bounded = <R>(connection: unknown, call: Promise<R>, w: string) =>
      withTimeout(
        call.catch((error: unknown) => {
          throw asStoreError(error, w, wire.dialect);
        }),
        timeoutMs,
        w,
      ).catch((error: unknown) => {
        wire.kill(connection);
        throw error;
      });
    const held = (connection: unknown): Session => ({
      all: (sql, params, w) => bounded(connection, wire.rows(connection, sql, params), w),
      run: (sql, params, w) => bounded(connection, wire.run(connection, sql, params), w),
    });
    return acquireWithin(this.#client, timeoutMs, what).then((connection) =>
      work(held(connection)).finally(() => this.#client.releaseConnection(connection)),
    );
  }

  #bounded<T>(work: (connection: unknown) => Promise<T>, what: string): Promise<T> {
    return this.#lender
      .run(work, { timeoutMs: this.#timeoutMs, what, kill: this.#wire.kill })
      .catch((error: unknown) => {
        throw asStoreError(error, what, this.dialect);
      });
  }
}

/** pg keeps its socket on the client's connection object. */
function socketOfPg(connection: unknown) {
  return (connection as { connection?: { stream?: { destroy(error?: Error): void } } }).connection
    ?.stream;
}

/** mysql2 keeps its socket on the connection. */
function socketOfMysql(connection: unknown) {
  return (connection as { stream?: { destroy(error?: Error): void } }).stream;
}

function query(connection: PgClient, sql: Statement | string, values: unknown[]) {
  return typeof sql === 'string'
    ? connection.query<unknown[]>({ text: sql, values, rowMode: 'array' })
    : connection.query<unknown[]>({ name: sql.name, text: sql.sql, values, rowMode: 'array' });
}

function textOf(sql: Statement | string): string {
  return typeof sql === 'string' ? sql : sql.sql;
}

function execute(connection: MysqlConnection, sql: string, values: unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    connection.execute({ sql, rowsAsArray: true }, values as never, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
}

function toRun(result: unknown): RunResult {
  const header = result as ResultSetHeader;
  return { changes: header.affectedRows, insertId: Number(header.insertId) };
}
