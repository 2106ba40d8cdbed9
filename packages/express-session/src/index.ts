export type { Callback } from './callbacks.js';
export type { LegacyStore } from './legacy.js';
export type { MigrateAllOptions, MigrationProgress, MigrationStats } from './migration.js';
export { SessStore, type SessStoreOptions, type UserSession } from './sess-store.js';
