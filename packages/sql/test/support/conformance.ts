import type { Knex } from 'knex';
import { dropSchema, SqlStore, type SqlStoreOptions } from '../../src/index.js';

/**
 * A store factory for the suites (conformance, session lifecycle, sweeper):
 * one table per namespace, created before the test and dropped after.
 */
export function tableFactory(knex: () => Knex, extra: Partial<SqlStoreOptions> = {}) {
  return async ({ namespace, now }: { namespace: string; now?: () => number }) => {
    const db = knex();
    const store = new SqlStore({ knex: db, table: namespace, ...extra, ...(now ? { now } : {}) });
    await store.ensureSchema();
    return {
      store,
      dispose: () =>
        dropSchema(db, { table: namespace, ...(extra.schema ? { schema: extra.schema } : {}) }),
    };
  };
}
