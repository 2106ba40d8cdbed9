export { DEFAULT_TIMEOUT_MS, openStore } from './open.js';
export {
  type HostPort,
  parseStoreUrl,
  SCHEMES,
  type StoreScheme,
  type StoreUrl,
  type StoreUrlOptions,
} from './parse.js';
export { redactSecrets } from './redact.js';
export type {
  OpenedStore,
  OpenMode,
  OpenStoreOptions,
  RedisNode,
  StoreBackend,
} from './types.js';
