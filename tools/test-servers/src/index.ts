export { type DroppingProxy, startDroppingProxy } from './dropping-proxy.js';
export { type MariadbServer, startMariadb } from './mariadb.js';
export { type MemcachedServer, startMemcached } from './memcached.js';
export { type PostgresServer, startPostgres } from './postgres.js';
export {
  ask,
  ephemeralRange,
  freePort,
  LOOPBACK,
  type ManagedProcess,
  manageProcess,
  type PausableProcess,
  type ProcessSpec,
  waitForPort,
  waitForPortClosed,
} from './process.js';
export { type RedisServer, startRedis } from './redis.js';
export { type RedisClusterServer, startRedisCluster } from './redis-cluster.js';
