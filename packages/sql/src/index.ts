export type { Dialect } from './dialect.js';
export {
  dropSchema,
  ensureSchema,
  type SessionsMigration,
  sessionsMigration,
  type TableOptions,
} from './schema.js';
export { SqlStore, type SqlStoreOptions, type SweepOptions } from './sql-store.js';
export { type SqliteConfigOptions, sqliteConfig } from './sqlite-config.js';
export type { SqlSweepReport } from './sweep-report.js';
