/**
 * @sess/sql against the raw drivers doing the same work on the same table
 * layout, and against the peer stores that install on Node 20. One backend
 * per dialect: `sql-sqlite` (this file's `backend`), `sql-postgres` and
 * `sql-mysql` (their own files re-export them).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSchema, SqlStore, sqliteConfig } from '@sess/sql';
import Database from 'better-sqlite3';
import { ConnectSessionKnexStore } from 'connect-session-knex';
import session from 'express-session';
import knexFactory, { type Knex } from 'knex';
import mysql from 'mysql2';
import pg from 'pg';
import { type ExpressSessionStore, expressSessionTarget } from '../peer-target.js';
import { mysqlScratch, mysqlServer, postgresScratch, postgresServer } from '../servers.js';
import { sessTarget } from '../sess-target.js';
import type { BenchBackend, BenchTarget, SweepCase } from '../target.js';

const require = createRequire(import.meta.url);
const quiet = { warn() {}, error() {}, deprecate() {}, debug() {} };
const HOUR = 3_600_000;

/**
 * What the readers do while a sweep runs: 1,000 live sessions, written once
 * before the first fill, read in turn.
 */
function liveReads(
  create: (id: string, expiresAt: number) => Promise<unknown>,
  get: (id: string) => Promise<unknown>,
  synchronous: boolean,
) {
  const live = Array.from({ length: 1_000 }, (_, i) => `sweep_live_${i}`);
  let seeded: Promise<void> | undefined;
  let readers = 0;
  const seed = async () => {
    for (const id of live) await create(id, Date.now() + 24 * HOUR);
  };
  return {
    seed: () => {
      seeded ??= seed();
      return seeded;
    },
    async read() {
      // better-sqlite3 answers synchronously; a request reaches the store
      // through I/O, so each read waits its turn in the event loop first.
      if (synchronous) await new Promise((resolve) => setImmediate(resolve));
      return get(live[readers++ % live.length] as string);
    },
  };
}

/** A sweep case on the sess table: `fill` writes expired rows with one generated INSERT. */
function sweepCases(
  store: SqlStore,
  knex: Knex,
  table: string,
  fillSql: (count: number, expiredAt: number) => [string, Knex.RawBinding[]],
  synchronous = false,
): SweepCase[] {
  const { seed, read } = liveReads(
    (id, expiresAt) => store.create(id, { data: 'live', expiresAt }),
    (id) => store.get(id),
    synchronous,
  );
  const fill = async (count: number) => {
    await seed();
    const [sql, bindings] = fillSql(count, Date.now() - 60_000);
    await knex.raw(sql, bindings);
  };
  return [
    {
      name: `clearExpired (batches of 1000)`,
      fill,
      sweep: () => store.clearExpired(),
      read,
      close: async () => {},
    },
    {
      // The cron job of many session stores: one DELETE holding its locks to the end.
      name: 'one DELETE statement',
      fill,
      async sweep() {
        const result = await knex(table).where('expires_at', '<=', Date.now()).del();
        return Number(result);
      },
      read,
      close: async () => {},
    },
  ];
}

/**
 * A peer's own sweep over its own table: `fill` writes expired rows, `sweep`
 * runs the peer's prune method and counts what is gone, and the readers read
 * live sessions through the peer, as an app using it would.
 */
function peerSweepCase(peer: {
  target: BenchTarget;
  /** The peer's prune method. */
  prune(): Promise<void>;
  /** Writes `count` rows that expired a minute ago into the peer's table. */
  fillExpired(count: number): Promise<void>;
  /** Expired rows still in the peer's table. */
  countExpired(): Promise<number>;
  synchronous?: boolean;
}): SweepCase {
  const { target } = peer;
  const { seed, read } = liveReads(
    (id, expiresAt) => target.create(id, 'live', expiresAt),
    (id) => target.get(id),
    peer.synchronous ?? false,
  );
  let filled = 0;
  return {
    name: `${target.name} prune`,
    async fill(count) {
      await seed();
      await peer.fillExpired(count);
      filled = count;
    },
    async sweep() {
      await peer.prune();
      return filled - (await peer.countExpired());
    },
    read,
    close: async () => {},
  };
}

export const backend: BenchBackend = {
  name: 'sql-sqlite',
  async setup() {
    const dir = await mkdtemp(join(tmpdir(), 'sess-bench-sqlite-'));
    const file = join(dir, 'sessions.db');
    const knex = knexFactory({ ...sqliteConfig(file), log: quiet });
    const store = new SqlStore({ knex, table: 'sess_bench' });
    await store.ensureSchema();
    await ensureSchema(knex, { table: 'raw_bench' });

    // raw: better-sqlite3 with statements prepared once, on its own connection to the same file.
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 2000');
    const insert = db.prepare(
      'INSERT INTO raw_bench (id, data, expires_at, version, user_id, created_at) VALUES (?, ?, ?, ?, NULL, ?)',
    );
    const select = db.prepare(
      'SELECT data, expires_at FROM raw_bench WHERE id = ? AND expires_at > ?',
    );
    const updateData = db.prepare('UPDATE raw_bench SET data = ?, expires_at = ? WHERE id = ?');
    const updateExpiry = db.prepare('UPDATE raw_bench SET expires_at = ? WHERE id = ?');
    const remove = db.prepare('DELETE FROM raw_bench WHERE id = ?');
    const raw: BenchTarget = {
      name: 'raw',
      role: 'raw',
      create: async (id, data, expiresAt) => insert.run(id, data, expiresAt, '1', Date.now()),
      get: async (id) => select.get(id, Date.now()),
      update: async (id, data, expiresAt) => updateData.run(data, expiresAt, id),
      touch: async (id, expiresAt) => updateExpiry.run(expiresAt, id),
      destroy: async (id) => remove.run(id),
      close: async () => {},
    };

    // Peers, each on its own connection to the same file.
    const knexPeerDb = knexFactory({ ...sqliteConfig(file), log: quiet });
    const knexPeer = new ConnectSessionKnexStore({
      knex: knexPeerDb,
      tableName: 'peer_knex',
      cleanupInterval: 0,
    });
    await knexPeer.ready;
    const peerDb = new Database(file);
    peerDb.pragma('busy_timeout = 2000');
    const SqliteStore = require('better-sqlite3-session-store')(session) as new (
      options: unknown,
    ) => object;
    // Its constructor starts a sweep timer that would keep the process alive.
    const NoTimer = class extends SqliteStore {
      startInterval() {}
    };
    const sqlitePeer = new NoTimer({ client: peerDb }) as unknown as session.Store;

    const sqliteFill = (count: number, expiredAt: number): [string, Knex.RawBinding[]] => [
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
       INSERT OR REPLACE INTO sess_bench (id, data, expires_at, version, user_id, created_at)
       SELECT 'expired_' || i, 'expired', ?, 'v', NULL, ? FROM n`,
      [count, expiredAt, expiredAt],
    ];
    const sqlitePeerTarget = expressSessionTarget(
      'better-sqlite3-session-store',
      sqlitePeer as unknown as ExpressSessionStore,
    );
    const version = db.prepare('SELECT sqlite_version() AS v').get() as { v: string };
    return {
      targets: [
        sessTarget(store),
        raw,
        expressSessionTarget('connect-session-knex', knexPeer as unknown as ExpressSessionStore),
        sqlitePeerTarget,
      ],
      info: { sqlite: version.v, journal: 'WAL, synchronous=NORMAL', file: 'one database file' },
      sweeps: [
        ...sweepCases(store, knex, 'sess_bench', sqliteFill, true),
        peerSweepCase({
          target: sqlitePeerTarget,
          prune: async () =>
            (sqlitePeer as unknown as { clearExpiredSessions(): void }).clearExpiredSessions(),
          async fillExpired(count) {
            peerDb
              .prepare(
                `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
                 INSERT OR REPLACE INTO sessions (sid, sess, expire)
                 SELECT 'expired_' || i, '{}', ? FROM n`,
              )
              .run(count, new Date(Date.now() - 60_000).toISOString());
          },
          countExpired: async () =>
            (
              peerDb
                .prepare(
                  `SELECT count(*) AS n FROM sessions WHERE datetime('now') > datetime(expire)`,
                )
                .get() as { n: number }
            ).n,
          synchronous: true,
        }),
      ],
      async teardown() {
        db.close();
        peerDb.close();
        await knexPeerDb.destroy();
        await knex.destroy();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
};

export const postgresBackend: BenchBackend = {
  name: 'sql-postgres',
  async setup() {
    const server = await postgresServer();
    const scratch = await postgresScratch(server.url);
    const url = new URL(scratch.where);
    const pool = { min: 2, max: 10 };
    const knex = knexFactory({ client: 'pg', connection: url.href, pool, log: quiet });
    const store = new SqlStore({ knex, table: 'sess_bench' });
    await store.ensureSchema();
    await ensureSchema(knex, { table: 'raw_bench' });

    // raw: a pg pool of the same size with named prepared statements, same table layout.
    const rawPool = new pg.Pool({ connectionString: url.href, max: pool.max });
    const q = (name: string, text: string, values: unknown[]) =>
      rawPool.query({ name, text, values });
    const raw: BenchTarget = {
      name: 'raw',
      role: 'raw',
      create: (id, data, expiresAt) =>
        q(
          'raw_create',
          'INSERT INTO raw_bench (id, data, expires_at, version, user_id, created_at) VALUES ($1, $2, $3, $4, NULL, $5)',
          [id, Buffer.from(data), expiresAt, '1', Date.now()],
        ),
      get: (id) =>
        q('raw_get', 'SELECT data, expires_at FROM raw_bench WHERE id = $1 AND expires_at > $2', [
          id,
          Date.now(),
        ]),
      update: (id, data, expiresAt) =>
        q('raw_update', 'UPDATE raw_bench SET data = $1, expires_at = $2 WHERE id = $3', [
          Buffer.from(data),
          expiresAt,
          id,
        ]),
      touch: (id, expiresAt) =>
        q('raw_touch', 'UPDATE raw_bench SET expires_at = $1 WHERE id = $2', [expiresAt, id]),
      destroy: (id) => q('raw_destroy', 'DELETE FROM raw_bench WHERE id = $1', [id]),
      close: async () => {},
    };

    const peerKnex = knexFactory({ client: 'pg', connection: url.href, pool, log: quiet });
    const knexPeer = new ConnectSessionKnexStore({
      knex: peerKnex,
      tableName: 'peer_knex',
      cleanupInterval: 0,
    });
    await knexPeer.ready;
    const peerPool = new pg.Pool({ connectionString: url.href, max: pool.max });
    const PgSession = require('connect-pg-simple')(session) as new (
      options: unknown,
    ) => session.Store & {
      close(): void;
    };
    const pgPeer = new PgSession({
      pool: peerPool,
      createTableIfMissing: true,
      pruneSessionInterval: false,
    });

    const pgFill = (count: number, expiredAt: number): [string, Knex.RawBinding[]] => [
      `INSERT INTO sess_bench (id, data, expires_at, version, user_id, created_at)
       SELECT 'expired_' || i, convert_to('expired', 'UTF8'), ?, 'v', NULL, ? FROM generate_series(0, ? - 1) AS i
       ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at`,
      [expiredAt, expiredAt, count],
    ];
    const pgPeerTarget = expressSessionTarget(
      'connect-pg-simple',
      pgPeer as unknown as ExpressSessionStore,
    );
    const { rows } = await rawPool.query('SHOW server_version');
    return {
      targets: [
        sessTarget(store),
        raw,
        expressSessionTarget('connect-session-knex', knexPeer as unknown as ExpressSessionStore),
        pgPeerTarget,
      ],
      info: {
        postgresql: String(rows[0]?.server_version),
        server: server.origin,
        pool: `${pool.max} connections per store`,
      },
      sweeps: [
        ...sweepCases(store, knex, 'sess_bench', pgFill),
        peerSweepCase({
          target: pgPeerTarget,
          prune: () =>
            new Promise<void>((resolve, reject) =>
              (
                pgPeer as unknown as { pruneSessions(done: (error?: Error) => void): void }
              ).pruneSessions((error) => (error ? reject(error) : resolve())),
            ),
          async fillExpired(count) {
            await rawPool.query(
              `INSERT INTO "session" (sid, sess, expire)
               SELECT 'expired_' || i, '{}'::json, to_timestamp($1) FROM generate_series(0, $2 - 1) AS i
               ON CONFLICT (sid) DO UPDATE SET expire = excluded.expire`,
              [(Date.now() - 60_000) / 1000, count],
            );
          },
          async countExpired() {
            const { rows } = await rawPool.query(
              'SELECT count(*)::int AS n FROM "session" WHERE expire < now()',
            );
            return Number(rows[0]?.n);
          },
        }),
      ],
      async teardown() {
        pgPeer.close();
        await peerPool.end().catch(() => undefined);
        await rawPool.end();
        await peerKnex.destroy();
        await knex.destroy();
        await scratch.drop();
        await server.dispose();
      },
    };
  },
};

/**
 * express-mysql-session with its own mysql2 pool of `connections` and its own
 * table (a primary key and nothing else: no expiry or user index).
 */
export async function expressMysqlSession(login: object, connections: number) {
  const MySQLStore = require('express-mysql-session')(session) as new (
    options: object,
  ) => session.Store & { onReady(): Promise<void>; close(): Promise<void> };
  const store = new MySQLStore({
    ...login,
    connectionLimit: connections,
    clearExpired: false,
    schema: { tableName: 'peer_mysql' },
  });
  await store.onReady();
  return expressSessionTarget(
    'express-mysql-session',
    store as unknown as ExpressSessionStore,
    () => store.close(),
  );
}

export const mysqlBackend: BenchBackend = {
  name: 'sql-mysql',
  async setup() {
    const server = await mysqlServer();
    const scratch = await mysqlScratch(server.login);
    const connection = scratch.where;
    const pool = { min: 2, max: 10 };
    const knex = knexFactory({ client: 'mysql2', connection, pool, log: quiet });
    const store = new SqlStore({ knex, table: 'sess_bench' });
    await store.ensureSchema();
    await ensureSchema(knex, { table: 'raw_bench' });

    // raw: a mysql2 pool of the same size running `execute` (prepared, cached per connection).
    const rawPool = mysql.createPool({ ...connection, connectionLimit: pool.max }).promise();
    const raw: BenchTarget = {
      name: 'raw',
      role: 'raw',
      create: (id, data, expiresAt) =>
        rawPool.execute(
          'INSERT INTO raw_bench (id, data, expires_at, version, user_id, created_at) VALUES (?, ?, ?, ?, NULL, ?)',
          [id, data, expiresAt, '1', Date.now()],
        ),
      get: (id) =>
        rawPool.execute('SELECT data, expires_at FROM raw_bench WHERE id = ? AND expires_at > ?', [
          id,
          Date.now(),
        ]),
      update: (id, data, expiresAt) =>
        rawPool.execute('UPDATE raw_bench SET data = ?, expires_at = ? WHERE id = ?', [
          data,
          expiresAt,
          id,
        ]),
      touch: (id, expiresAt) =>
        rawPool.execute('UPDATE raw_bench SET expires_at = ? WHERE id = ?', [expiresAt, id]),
      destroy: (id) => rawPool.execute('DELETE FROM raw_bench WHERE id = ?', [id]),
      close: async () => {},
    };
    const peerKnex = knexFactory({ client: 'mysql2', connection, pool, log: quiet });
    const knexPeer = new ConnectSessionKnexStore({
      knex: peerKnex,
      tableName: 'peer_knex',
      cleanupInterval: 0,
    });
    await knexPeer.ready;
    const mysqlPeer = await expressMysqlSession(connection, pool.max);
    return {
      targets: [
        sessTarget(store),
        raw,
        expressSessionTarget('connect-session-knex', knexPeer as unknown as ExpressSessionStore),
        mysqlPeer,
      ],
      info: {
        mariadb: scratch.version,
        server: server.origin,
        pool: `${pool.max} connections per store`,
      },
      async teardown() {
        await rawPool.end();
        await peerKnex.destroy();
        await knex.destroy();
        await scratch.drop();
        await server.dispose();
      },
    };
  },
};
