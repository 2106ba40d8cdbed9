import { runStoreConformance } from '@sess/core/conformance';
import { type PostgresServer, startPostgres } from '@sess/test-servers';
import knex, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { tableFactory } from './support/conformance.js';
import { quietLog, sharedPostgres, type TestDatabase } from './support/databases.js';

describe('SqlStore on PostgreSQL passes the conformance suite', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await sharedPostgres();
  });
  afterAll(() => db?.close());

  runStoreConformance({
    test: it,
    createStore: tableFactory(() => db.knex),
    corrupt: async ({ namespace, id }) => {
      // data holds UTF-8 bytes; bytes that are not UTF-8 cannot be read back.
      await db.knex.raw(`UPDATE "${namespace}" SET data = '\\xc328'::bytea WHERE id = ?`, [id]);
    },
  });
});

describe('SqlStore on a private PostgreSQL that is stopped and started passes the fault tier', () => {
  let server: PostgresServer;
  let db: Knex;
  beforeAll(async () => {
    server = await startPostgres();
    db = knex({ client: 'pg', connection: server.url, pool: { min: 0, max: 10 }, log: quietLog });
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
