import { sessionLifecycleSuite } from '@sess/session-suite';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { tableFactory } from './support/conformance.js';
import type { TestDatabase } from './support/databases.js';
import { DIALECTS } from './support/dialects.js';

// The session lifecycle of @sess/core (SessionManager: tokens, commits,
// expiry, rotation, logouts, conflict merges) on each database.
describe.each(DIALECTS)('on %s', (dialect, open) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(() => db?.close());

  sessionLifecycleSuite({
    name: `SqlStore (${dialect})`,
    test: it.concurrent,
    createStore: tableFactory(() => db.knex),
  });
});
