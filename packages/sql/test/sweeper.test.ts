import { sweeperSuite } from '@sess/session-suite';
import { afterAll, beforeAll, describe } from 'vitest';
import { tableFactory } from './support/conformance.js';
import type { TestDatabase } from './support/databases.js';
import { DIALECTS } from './support/dialects.js';

// startSweeper's lifecycle, the same as on every store that sweeps, on each database.
describe.each(DIALECTS)('on %s', (_dialect, open) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(() => db?.close());

  sweeperSuite({ name: 'SqlStore', createStore: tableFactory(() => db.knex) });
});
