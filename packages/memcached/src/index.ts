export { MemcachedClient, type MemcachedClientOptions } from './client.js';
export type { CasOutcome, MemcachedDriver, MetaItem, StoreOptions } from './driver.js';
export { MemcachedStore, type MemcachedStoreOptions } from './memcached-store.js';
