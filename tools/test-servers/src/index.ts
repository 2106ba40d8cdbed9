export { type MemcachedServer, startMemcached } from './memcached.js';
export {
  freePort,
  LOOPBACK,
  type ManagedProcess,
  manageProcess,
  type ProcessSpec,
  waitForPort,
} from './process.js';
export { type RedisServer, startRedis } from './redis.js';
export { type RedisClusterServer, startRedisCluster } from './redis-cluster.js';
