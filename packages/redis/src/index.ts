export type { RedisStoreWarning } from './eviction.js';
export type { RedisClientLike } from './link.js';
export { RedisStore, type RedisStoreEvents, type RedisStoreOptions } from './redis-store.js';
