export type { TieredStoreOptions } from './options.js';
export type {
  DegradedEvent,
  RecoveredEvent,
  Tier,
  TieredStats,
  TieredStoreEvents,
} from './stats.js';
export { TieredStore } from './tiered-store.js';
