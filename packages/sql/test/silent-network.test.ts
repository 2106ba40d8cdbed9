import { runStoreConformance } from '@sess/core/conformance';
import { type DroppingProxy, startDroppingProxy } from '@sess/test-servers';
import knex, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqlWire, pgWire, type Wire } from '../src/executor.js';
import { SqlStore } from '../src/index.js';
import { type KnexClient, Lender } from '../src/lender.js';
import {
  quietLog,
  SHARED_MYSQL,
  SHARED_POSTGRES,
  sharedMysql,
  sharedPostgres,
  type TestDatabase,
} from './support/databases.js';

// A network path that silently drops packets (a firewall, a dead link): every
// byte vanishes, nothing is refused or closed. A proxy in front of the shared
// server drops on command. Connection attempts are bounded the way the README
// recommends for networked databases, so knex gives up on a connect that goes
// nowhere.

interface Dialect {
  readonly name: string;
  readonly wire: Wire;
  readonly shared: () => Promise<TestDatabase>;
  /** knex on the same database, through the proxy. */
  readonly viaProxy: (db: TestDatabase, port: number) => Knex;
  readonly probe: (connection: unknown) => Promise<unknown>;
}

const DIALECTS: Dialect[] = [
  {
    name: 'PostgreSQL',
    wire: pgWire,
    shared: () => sharedPostgres(),
    viaProxy: (db, port) => {
      const url = new URL(SHARED_POSTGRES);
      url.host = `127.0.0.1:${port}`;
      return knex({
        client: 'pg',
        connection: { connectionString: url.href, connectionTimeoutMillis: 1_000 },
        searchPath: [db.schema as string],
        pool: { min: 0, max: 2 },
        acquireConnectionTimeout: 3_000,
        log: quietLog,
      });
    },
    probe: (connection) =>
      (connection as { query(sql: string): Promise<unknown> }).query('SELECT 1'),
  },
  {
    name: 'MariaDB',
    wire: mysqlWire,
    shared: () => sharedMysql(),
    viaProxy: (db, port) =>
      knex({
        client: 'mysql2',
        connection: {
          ...SHARED_MYSQL,
          port,
          database: db.schema as string,
          connectTimeout: 1_000,
        },
        pool: { min: 0, max: 2 },
        acquireConnectionTimeout: 3_000,
        log: quietLog,
      }),
    probe: (connection) =>
      new Promise((resolve, reject) =>
        (connection as { query(sql: string, cb: (e: unknown, r: unknown) => void): void }).query(
          'SELECT 1',
          (error, rows) => (error ? reject(error) : resolve(rows)),
        ),
      ),
  },
];

for (const dialect of DIALECTS) {
  describe(`SqlStore on ${dialect.name} behind a path that silently drops packets`, () => {
    let db: TestDatabase;
    let proxy: DroppingProxy;
    let viaProxy: Knex;
    beforeAll(async () => {
      db = await dialect.shared();
      const port = Number(
        dialect.name === 'PostgreSQL' ? new URL(SHARED_POSTGRES).port || 5432 : SHARED_MYSQL.port,
      );
      proxy = await startDroppingProxy({ port });
      viaProxy = dialect.viaProxy(db, proxy.port);
    });
    afterAll(async () => {
      await viaProxy?.destroy();
      await proxy?.dispose();
      await db?.close();
    });

    runStoreConformance({
      test: it,
      groups: ['faults'],
      // The table is made and dropped on a direct connection; the store under
      // test reaches the same table through the proxy.
      createStore: async ({ namespace }) => {
        await new SqlStore({ knex: db.knex, table: namespace }).ensureSchema();
        return {
          store: new SqlStore({ knex: viaProxy, table: namespace, operationTimeoutMs: 500 }),
          dispose: () => db.knex.schema.dropTableIfExists(namespace),
        };
      },
      faults: {
        stop: async () => proxy.drop(),
        start: async () => proxy.restore(),
      },
    });

    it('statements that time out leave no caller queued, end their connection, and the pool serves again once the path returns', async () => {
      const lender = new Lender(viaProxy.client as KnexClient);
      const bound = { timeoutMs: 300, what: 'probe', kill: dialect.wire.kill };
      await lender.run(dialect.probe, bound); // a live connection first
      proxy.drop();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 200 }, () => lender.run(dialect.probe, bound)),
      );
      expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
      // Every caller past its bound left the queue: nothing piles up while the path is down.
      expect(lender.waiting).toBe(0);
      proxy.restore();
      // The connections held by timed-out statements were ended, not kept hanging.
      await expect(
        lender.run(dialect.probe, { ...bound, timeoutMs: 5_000 }),
      ).resolves.toBeDefined();
      lender.flush();
    });

    it('close() and knex.destroy() do not hang on connections the network swallowed', async () => {
      const own = dialect.viaProxy(db, proxy.port);
      await new SqlStore({ knex: db.knex, table: 'silent_close' }).ensureSchema();
      const store = new SqlStore({ knex: own, table: 'silent_close', operationTimeoutMs: 300 });
      await store.create('a', { data: 'x', expiresAt: Date.now() + 60_000 });
      proxy.drop();
      const reads = Array.from({ length: 20 }, () =>
        store.get('a').catch((error: unknown) => error),
      );
      await store.close();
      for (const outcome of await Promise.all(reads)) {
        expect(outcome).toMatchObject({ code: 'SESS_STORE_UNAVAILABLE' });
      }
      await own.destroy(); // would hang while a swallowed statement held its connection
      proxy.restore();
      await db.knex.schema.dropTableIfExists('silent_close');
    });
  });
}
