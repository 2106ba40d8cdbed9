import type { ConformanceOptions } from '@sess/core/conformance';
import type { Knex } from 'knex';
import { dropSchema, SqlStore, type SqlStoreOptions } from '../../src/index.js';

/** A conformance factory: one table per namespace, created before the test and dropped after. */
export function tableFactory(
  knex: () => Knex,
  extra: Partial<SqlStoreOptions> = {},
): ConformanceOptions['createStore'] {
  return async ({ namespace, now }) => {
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
