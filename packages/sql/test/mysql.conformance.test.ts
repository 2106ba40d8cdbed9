import { runStoreConformance } from '@sess/core/conformance';
import { type MariadbServer, startMariadb } from '@sess/test-servers';
import knex, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { tableFactory } from './support/conformance.js';
import { quietLog, sharedMysql, type TestDatabase } from './support/databases.js';

describe('SqlStore on MariaDB passes the conformance suite', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await sharedMysql();
  });
  afterAll(() => db?.close());

  runStoreConformance({
    test: it,
    createStore: tableFactory(() => db.knex),
    corrupt: async ({ namespace, id }) => {
      // user_id holds UTF-8 bytes; bytes that are not UTF-8 cannot be read back.
      await db.knex.raw(`UPDATE \`${namespace}\` SET user_id = X'C328' WHERE id = ?`, [id]);
    },
  });
});

describe('SqlStore on a private MariaDB that is killed and restarted passes the fault tier', () => {
  let server: MariadbServer;
  let db: Knex;
  beforeAll(async () => {
    server = await startMariadb();
    const admin = knex({
      client: 'mysql2',
      connection: { host: server.host, port: server.port, user: server.user },
      pool: { min: 0, max: 1 },
    });
    await admin.raw('CREATE DATABASE sess_faults');
    await admin.destroy();
    db = knex({
      client: 'mysql2',
      connection: {
        host: server.host,
        port: server.port,
        user: server.user,
        database: 'sess_faults',
      },
      pool: { min: 0, max: 10 },
      log: quietLog,
    });
  });
  afterAll(async () => {
    await db?.destroy();
    await server?.dispose();
  });

  runStoreConformance({
    test: it,
    groups: ['faults'],
    createStore: tableFactory(() => db, { operationTimeoutMs: 1_000 }),
    faults: { stop: () => server.kill(), start: () => server.start() },
  });
});
