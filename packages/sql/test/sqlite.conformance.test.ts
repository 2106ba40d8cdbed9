import { runStoreConformance } from '@sess/core/conformance';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { tableFactory } from './support/conformance.js';
import { sqliteFile, sqliteMemory, type TestDatabase } from './support/databases.js';

for (const [label, open] of [
  ['an in-memory database', sqliteMemory],
  ['a database file (WAL)', sqliteFile],
] as const) {
  describe(`SqlStore on SQLite, ${label}, passes the conformance suite`, () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db.close());

    runStoreConformance({
      test: it,
      createStore: tableFactory(() => db.knex),
      corrupt: async ({ namespace, id }) => {
        // SQLite keeps whatever type it is given: a BLOB where text belongs cannot be read back.
        await db.knex.raw(`UPDATE "${namespace}" SET data = X'C328' WHERE id = ?`, [id]);
      },
    });
  });
}
