export type { RedisClientLike } from './link.js';
export {
  RedisStore,
  type RedisStoreEvents,
  type RedisStoreOptions,
  type RedisStoreWarning,
} from './redis-store.js';
