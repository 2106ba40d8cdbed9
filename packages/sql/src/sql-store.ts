import type {
  Clock,
  DestroyByUserOptions,
  ListOptions,
  ListPage,
  SessionRecord,
  SessionStore,
  StoreCapabilities,
  StoredSession,
  Sweeper,
  SweeperOptions,
  UpdateOptions,
  WriteResult,
} from '@sess/core';
import { InvalidOptionError, StoreUnavailableError } from '@sess/core';
import {
  assertExpiry,
  assertSessionId,
  assertWrite,
  type CommonStoreOptions,
  checkDestroyByUser,
  checkListOptions,
  checkUpdateOptions,
  isValidSessionId,
  type OptionKeys,
  refused,
  rejectUnknownOptions,
  resolveCommonOptions,
  SweepScheduler,
} from '@sess/core/store-kit';
import type { Knex } from 'knex';
import {
  DIALECT_RULES,
  type Dialect,
  type DialectRules,
  dialectOf,
  type TableRef,
} from './dialect.js';
import { createExecutor, type Executor, type Session } from './executor.js';
import { decodeRow } from './records.js';
import { ensureSchema, resolveTable, type TableOptions } from './schema.js';
import { buildStatements, type Statements } from './statements.js';
import { sweepLock } from './sweep-lock.js';
import type { SqlSweepReport } from './sweep-report.js';
import { newVersion } from './versions.js';

export interface SqlStoreOptions extends TableOptions, CommonStoreOptions {
  /**
   * The knex instance to use, configured for better-sqlite3, pg or mysql2.
   * The store borrows connections from its pool and never destroys it.
   */
  readonly knex: Knex;
  /** Largest accepted payload in UTF-8 bytes. Default 1 MiB (at most 16 MiB − 1 on MySQL). */
  readonly maxPayloadBytes?: number;
  /** Most rows one sweep statement deletes. Default 1000. */
  readonly sweepBatchSize?: number;
}

const SQL_STORE_OPTIONS: OptionKeys<SqlStoreOptions> = {
  knex: true,
  table: true,
  schema: true,
  operationTimeoutMs: true,
  maxPayloadBytes: true,
  now: true,
  sweepBatchSize: true,
};

const DEFAULT_SWEEP_BATCH = 1_000;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 10_000;
const DEADLOCK_RETRIES = 5;

/** Options of one `sweep()`. */
export interface SweepOptions {
  /** Called after every batch with the number deleted so far. */
  readonly onBatch?: (deleted: number) => void;
  /** Stops the sweep after the batch under way; the lock is released as usual. */
  readonly signal?: AbortSignal;
}

/**
 * A session store on SQLite, PostgreSQL or MySQL/MariaDB, through a knex
 * instance the application owns.
 *
 * Every operation is one statement (a refused `update` with `ifVersion`
 * takes a second one to tell `conflict` from `missing`), prepared once and
 * run on knex's own connections. Expired rows are invisible at once and
 * removed by `clearExpired()`, a background sweeper (`startSweeper`), or
 * the `sess-sql sweep` command.
 *
 * @example
 * import knex from 'knex';
 * import { SqlStore } from '@sess/sql';
 *
 * const db = knex({ client: 'pg', connection: process.env.DATABASE_URL });
 * const store = new SqlStore({ knex: db });
 * await store.ensureSchema();
 * store.startSweeper({ intervalMs: 5 * 60_000 });
 */
export class SqlStore implements SessionStore {
  readonly capabilities: StoreCapabilities;
  /** The dialect read from the knex instance. */
  readonly dialect: Dialect;

  readonly #knex: Knex;
  readonly #table: TableRef;
  readonly #tableOptions: TableOptions;
  readonly #exec: Executor;
  readonly #sql: Statements;
  readonly #rules: DialectRules;
  readonly #now: Clock;
  readonly #batch: number;
  readonly #sweeps = new SweepScheduler(() => this.sweep(), 'SqlStore');
  #sweeping: Promise<SqlSweepReport> | undefined;
  #closed = false;

  constructor(options: SqlStoreOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionError('SqlStore takes an options object { knex, table?, ... }.');
    }
    rejectUnknownOptions(options, SQL_STORE_OPTIONS, 'SqlStore');
    const dialect = dialectOf(options.knex);
    const rules = DIALECT_RULES[dialect];
    const { operationTimeoutMs, maxPayloadBytes, now } = resolveCommonOptions(options, {
      maxPayloadLimit: rules.maxPayloadBytes,
    });
    const { sweepBatchSize = DEFAULT_SWEEP_BATCH } = options;
    if (!Number.isSafeInteger(sweepBatchSize) || sweepBatchSize < 1 || sweepBatchSize > 100_000) {
      throw new InvalidOptionError('sweepBatchSize must be an integer from 1 to 100000.');
    }
    this.dialect = dialect;
    this.#knex = options.knex;
    this.#tableOptions = {
      ...(options.table === undefined ? {} : { table: options.table }),
      ...(options.schema === undefined ? {} : { schema: options.schema }),
    };
    this.#table = resolveTable(dialect, this.#tableOptions);
    this.#sql = buildStatements(dialect, this.#table, maxPayloadBytes);
    this.#exec = createExecutor(dialect, options.knex, operationTimeoutMs);
    this.#rules = rules;
    this.#now = now;
    this.#batch = sweepBatchSize;
    this.capabilities = Object.freeze({
      expiry: 'sweep',
      list: true,
      count: true,
      users: true,
      clear: true,
      ttlResolutionMs: 0,
      maxPayloadBytes,
      operationTimeoutMs,
    });
  }

  /** The table, as it appears in SQL (`"schema"."table"`). */
  get table(): string {
    return this.#table.qualified;
  }

  /**
   * Creates the table and its indexes if they are missing (DDL; run it at
   * start-up or use `sessionsMigration()` instead).
   */
  async ensureSchema(): Promise<void> {
    this.#assertOpen();
    await ensureSchema(this.#knex, this.#tableOptions);
  }

  async get(id: string): Promise<StoredSession | null> {
    this.#assertOpen();
    assertSessionId(id);
    const row = await this.#exec.first(this.#sql.get, [id, this.#now()], 'SQL get');
    return row === undefined ? null : decodeRow(row, this.#rules.dataIsBytes);
  }

  async create(id: string, record: SessionRecord): Promise<WriteResult> {
    this.#assertOpen();
    const now = this.#now();
    assertWrite(id, record, { now, maxPayloadBytes: this.capabilities.maxPayloadBytes });
    const version = newVersion();
    const params = this.#rules.createParams(id, record, version, now);
    const result = await this.#exec.run(this.#sql.create, params, 'SQL create');
    return this.#rules.created(result) ? { ok: true, version } : refused.exists;
  }

  async update(id: string, record: SessionRecord, options?: UpdateOptions): Promise<WriteResult> {
    this.#assertOpen();
    const now = this.#now();
    assertWrite(id, record, { now, maxPayloadBytes: this.capabilities.maxPayloadBytes });
    const ifVersion = checkUpdateOptions(options);
    const version = newVersion();
    const params: unknown[] = [
      this.#rules.data(record.data),
      record.expiresAt,
      version,
      this.#rules.userId(record.userId),
      id,
      now,
    ];
    if (ifVersion !== undefined) params.push(ifVersion);
    const statement = ifVersion === undefined ? this.#sql.update : this.#sql.updateIf;
    const { changes } = await this.#exec.run(statement, params, 'SQL update');
    if (changes > 0) return { ok: true, version };
    if (ifVersion === undefined) return refused.missing;
    // Refused: a live row means its version differed.
    return (await this.#live(id, now)) ? refused.conflict : refused.missing;
  }

  async touch(id: string, expiresAt: number): Promise<boolean> {
    this.#assertOpen();
    assertSessionId(id);
    const now = this.#now();
    assertExpiry(expiresAt, now);
    const result = await this.#exec.run(this.#sql.touch, [expiresAt, id, now], 'SQL touch');
    return this.#rules.touched(result) ?? this.#live(id, now);
  }

  async destroy(id: string): Promise<void> {
    this.#assertOpen();
    assertSessionId(id);
    await this.#exec.run(this.#sql.destroy, [id], 'SQL destroy');
  }

  async list(options?: ListOptions): Promise<ListPage> {
    this.#assertOpen();
    const limit = checkListOptions(options, { limit: DEFAULT_PAGE, maxLimit: MAX_PAGE });
    const cursor = options?.cursor;
    if (cursor !== undefined && !isValidSessionId(cursor)) {
      throw new InvalidOptionError('list() cursor must be the string a previous page returned.');
    }
    // Ids sort byte by byte, so the last id of a page is a cursor that stays
    // valid while records come and go. '' sorts before every id.
    const after = cursor ?? '';
    const now = this.#now();
    const userId = options?.userId;
    // One row more than the page tells whether another page follows.
    const rows =
      userId === undefined
        ? await this.#exec.all(
            this.#sql.list,
            [now, after, this.#rules.limit(limit + 1)],
            'SQL list',
          )
        : await this.#exec.all(
            this.#sql.listUser,
            [now, this.#rules.userId(userId), after, this.#rules.limit(limit + 1)],
            'SQL list',
          );
    const ids = rows.map((row) => String(row[0]));
    if (ids.length <= limit) return { ids };
    ids.length = limit;
    return { ids, cursor: ids[limit - 1] as string };
  }

  async count(): Promise<number> {
    this.#assertOpen();
    const row = await this.#exec.first(this.#sql.count, [this.#now()], 'SQL count');
    return Number(row?.[0] ?? 0);
  }

  async destroyByUser(userId: string, options?: DestroyByUserOptions): Promise<number> {
    this.#assertOpen();
    const except = checkDestroyByUser(userId, options);
    // Only live sessions count; the user's expired ones are left to the sweeper.
    const { changes } = await this.#exec.run(
      this.#sql.destroyByUser,
      [this.#rules.userId(userId), this.#now(), except ?? ''],
      'SQL destroyByUser',
    );
    return changes;
  }

  /**
   * Deletes expired sessions in batches of `sweepBatchSize` until none is
   * left, and returns how many. Each batch is its own short statement, so
   * readers and writers are never held behind one giant DELETE. Takes no
   * lock: see `sweep()` for the coordinated form.
   */
  async clearExpired(): Promise<number> {
    this.#assertOpen();
    const report = await this.#exec.withSession(
      (session) => this.#sweepBatches(session, false),
      'SQL clearExpired',
    );
    return report.deleted;
  }

  /**
   * One coordinated sweep: takes the table's advisory lock
   * (`pg_try_advisory_lock` on PostgreSQL, `GET_LOCK` on MySQL), deletes the
   * expired sessions in batches, and releases the lock. When another
   * instance holds the lock this one returns at once with `skipped: true`.
   * SQLite needs no lock: it serialises writers itself.
   *
   * `onBatch` hears the running total after every batch, and `signal` stops
   * the sweep after the batch under way (a command's Ctrl-C).
   *
   * @example
   * const { deleted, durationMs } = await store.sweep();
   */
  sweep(options: SweepOptions = {}): Promise<SqlSweepReport> {
    try {
      this.#assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#sweeping) return this.#sweeping;
    const run = this.#exec.withSession(
      (session) => this.#sweepBatches(session, true, options),
      'SQL sweep',
    );
    this.#sweeping = run;
    const clear = () => {
      if (this.#sweeping === run) this.#sweeping = undefined;
    };
    run.then(clear, clear);
    return run;
  }

  /**
   * Sweeps every `intervalMs` (with jitter) in the background with `sweep()`,
   * on a timer that does not keep the process alive. `close()` stops it.
   *
   * @example
   * store.startSweeper({
   *   intervalMs: 5 * 60_000,
   *   onSweep: ({ deleted, durationMs }) => metrics.record(deleted, durationMs),
   *   onError: (error) => log.warn(error.message),
   * });
   */
  startSweeper(options: SweeperOptions<SqlSweepReport>): Sweeper<SqlSweepReport> {
    return this.#sweeps.start(options);
  }

  async clear(): Promise<void> {
    this.#assertOpen();
    await this.#exec.run(this.#sql.clear, [], 'SQL clear');
  }

  /**
   * Stops the sweeper and waits for a sweep under way (which stops after its
   * current batch). The knex instance stays open.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#sweeps.close();
    await this.#sweeping?.catch(() => undefined);
    this.#exec.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreUnavailableError('This SqlStore is closed.');
  }

  async #live(id: string, now: number): Promise<boolean> {
    return (await this.#exec.first(this.#sql.live, [id, now], 'SQL read')) !== undefined;
  }

  async #sweepBatches(
    session: Session,
    locked: boolean,
    options: SweepOptions = {},
  ): Promise<SqlSweepReport> {
    const started = performance.now();
    const lock = locked ? sweepLock(this.dialect, this.#table) : undefined;
    if (lock && !(await lock.acquire(session))) {
      return { deleted: 0, batches: 0, durationMs: performance.now() - started, skipped: true };
    }
    let deleted = 0;
    let batches = 0;
    try {
      // One cut-off for the whole sweep, so it ends even while sessions keep expiring.
      const now = this.#now();
      const params = this.#rules.sweepBatchParams(now, this.#batch);
      for (;;) {
        const { changes } = await this.#batchWithRetry(session, params);
        deleted += changes;
        batches++;
        options.onBatch?.(deleted);
        if (changes < this.#batch || this.#closed || options.signal?.aborted) break;
        // Let other work on this process run between batches.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      await lock?.release(session);
    }
    return { deleted, batches, durationMs: performance.now() - started, skipped: false };
  }

  async #batchWithRetry(session: Session, params: unknown[]) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await session.run(this.#sql.sweepBatch, params, 'SQL sweep batch');
      } catch (error) {
        // Deleting through the expiry index can deadlock with writers that lock
        // the primary key first (InnoDB); the batch is simply run again.
        if (attempt >= DEADLOCK_RETRIES || !isDeadlock(error)) throw error;
      }
    }
  }
}

function isDeadlock(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown; errno?: unknown } } | undefined)?.cause;
  return (
    cause?.code === '40P01' || // PostgreSQL deadlock_detected
    cause?.errno === 1213 || // MySQL ER_LOCK_DEADLOCK
    cause?.errno === 1205 || // MySQL ER_LOCK_WAIT_TIMEOUT
    cause?.code === 'SQLITE_BUSY'
  );
}
