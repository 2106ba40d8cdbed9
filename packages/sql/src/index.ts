export type { Dialect } from './dialect.js';
export {
  dropSchema,
  ensureSchema,
  type SessionsMigration,
  sessionsMigration,
  type TableOptions,
} from './schema.js';
export { type SqliteConfigOptions, sqliteConfig } from './sqlite-config.js';
export { SqlStore, type SqlStoreOptions } from './sql-store.js';
export type { SweepReport, Sweeper, SweeperOptions, SweeperStats } from './sweeper.js';
