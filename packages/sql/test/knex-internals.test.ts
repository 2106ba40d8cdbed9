import { once } from 'node:events';
import { createRequire } from 'node:module';
import type { Database } from 'better-sqlite3';
import knex33, { type Knex } from 'knex';
import knex31 from 'knex-3.1';
import type { Connection as MysqlConnection } from 'mysql2';
import type { Client as PgClient } from 'pg';
import { describe, expect, it } from 'vitest';
import { dialectOf } from '../src/dialect.js';
import { sqliteConfig } from '../src/index.js';
import type { KnexClient } from '../src/lender.js';
import { SHARED_MYSQL, SHARED_POSTGRES } from './support/databases.js';

// @sess/sql runs its statements on knex's own connections, through parts of
// knex that are not its documented API: `knex.client` (driverName,
// acquireConnection, releaseConnection), the pool (tarn: max,
// numPendingAcquires), the `__knex__disposed` mark on a connection that
// failed, and the raw driver connection it lends. These tests pin each one,
// on the oldest and the newest knex of the peer range (package.json), so a
// knex release that changes them fails here, by name, before it fails in
// production. Widen the peer range only after adding that release here.

type MakeKnex = (config: Knex.Config) => Knex;
const require = createRequire(import.meta.url);
const KNEXES: ReadonlyArray<readonly [string, string, MakeKnex]> = [
  ['3.1.0', 'knex-3.1', knex31 as unknown as MakeKnex],
  ['3.3.0', 'knex', knex33],
];

type Disposable = { __knex__disposed?: unknown };

/** The networked dialects, and how to end one of our own connections from the server side. */
const NETWORKED = [
  {
    dialect: 'postgres',
    config: { client: 'pg', connection: SHARED_POSTGRES },
    async endFromServer(connection: unknown, db: Knex) {
      const pg = connection as PgClient;
      const { rows } = await pg.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // pg reports the termination as 'error' events, then 'end'.
      const ended = new Promise((resolve) => pg.once('end', resolve));
      await db.raw('SELECT pg_terminate_backend(?)', [rows[0]?.pid as number]);
      await ended;
    },
  },
  {
    dialect: 'mysql',
    config: { client: 'mysql2', connection: SHARED_MYSQL },
    async endFromServer(connection: unknown, db: Knex) {
      const mysql = connection as MysqlConnection;
      const id = await new Promise<number>((resolve, reject) =>
        mysql.query('SELECT CONNECTION_ID() AS id', (error, rows) =>
          error ? reject(error) : resolve((rows as Array<{ id: number }>)[0]?.id as number),
        ),
      );
      const failed = once(mysql, 'error');
      await db.raw(`KILL ${Number(id)}`);
      await failed;
    },
  },
] as const;

describe.each(KNEXES)('knex %s', (version, name, makeKnex) => {
  it('is the version this test names', () => {
    expect((require(`${name}/package.json`) as { version: string }).version).toBe(version);
  });

  it('names the driver of each dialect in client.driverName', async () => {
    const configs = [
      ['sqlite', sqliteConfig(':memory:')],
      ['postgres', { client: 'pg', connection: SHARED_POSTGRES }],
      ['mysql', { client: 'mysql2', connection: SHARED_MYSQL }],
    ] as const;
    for (const [dialect, config] of configs) {
      const db = makeKnex(config);
      try {
        expect(dialectOf(db), `client.driverName of ${config.client}`).toBe(dialect);
      } finally {
        await db.destroy();
      }
    }
  });

  for (const { dialect, config, endFromServer } of NETWORKED) {
    it(`${dialect}: lends pooled connections through client.acquireConnection and counts waiters in pool.numPendingAcquires`, async () => {
      const db = makeKnex({ ...config, pool: { min: 0, max: 2 } });
      const client = db.client as KnexClient;
      try {
        expect(client.pool?.max, 'client.pool.max').toBe(2);
        expect(typeof client.pool?.numPendingAcquires, 'client.pool.numPendingAcquires').toBe(
          'function',
        );
        const first = await client.acquireConnection();
        const second = await client.acquireConnection();
        expect(client.pool?.numPendingAcquires?.()).toBe(0);
        const third = client.acquireConnection();
        expect(client.pool?.numPendingAcquires?.(), 'an acquire waiting for a connection').toBe(1);
        await client.releaseConnection(first);
        expect(await third).toBe(first);
        expect(client.pool?.numPendingAcquires?.()).toBe(0);
        await client.releaseConnection(second);
        await client.releaseConnection(first);
      } finally {
        await db.destroy();
      }
    });

    it(`${dialect}: keeps the driver's socket where a statement past its bound is ended`, async () => {
      const db = makeKnex({ ...config, pool: { min: 0, max: 1 } });
      const client = db.client as KnexClient;
      try {
        const connection = await client.acquireConnection();
        const socket =
          dialect === 'postgres'
            ? (connection as { connection?: { stream?: unknown } }).connection?.stream
            : (connection as { stream?: unknown }).stream;
        expect(typeof (socket as { destroy?: unknown } | undefined)?.destroy).toBe('function');
        await client.releaseConnection(connection);
      } finally {
        await db.destroy();
      }
    });

    it(`${dialect}: marks a connection the server ended with __knex__disposed`, async () => {
      const db = makeKnex({ ...config, pool: { min: 0, max: 2 } });
      const client = db.client as KnexClient;
      try {
        const connection = (await client.acquireConnection()) as Disposable;
        await endFromServer(connection, db);
        expect(connection.__knex__disposed, 'connection.__knex__disposed').toBeTruthy();
        await client.releaseConnection(connection);
      } finally {
        await db.destroy();
      }
    });
  }

  it('sqlite: lends the better-sqlite3 Database itself, the one its transactions run on', async () => {
    const db = makeKnex(sqliteConfig(':memory:'));
    const client = db.client as KnexClient;
    try {
      const connection = (await client.acquireConnection()) as Database;
      expect(typeof connection.prepare, 'a better-sqlite3 Database').toBe('function');
      expect(connection.open).toBe(true);
      expect(connection.inTransaction).toBe(false);
      await client.releaseConnection(connection);
      await db.transaction(async (trx) => {
        await trx.raw('SELECT 1');
        expect(connection.inTransaction, 'the transaction runs on the lent Database').toBe(true);
      });
      expect(connection.inTransaction).toBe(false);
    } finally {
      await db.destroy();
    }
  });
});
