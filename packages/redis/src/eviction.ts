/** The warning the store emits (once) when Redis may evict sessions silently. */
export interface RedisStoreWarning {
  readonly code: 'SESS_REDIS_EVICTION_POLICY';
  /** The server's `maxmemory-policy`. */
  readonly policy: string;
  /** The server it was read from. */
  readonly server: string;
  readonly message: string;
}

/**
 * The risk of a server's `maxmemory-policy`, if any. Every policy but
 * `noeviction` may evict sessions: the `allkeys-*` ones any key, the
 * `volatile-*` ones any key with an expiry, which every session has.
 */
export function evictionWarning(
  policy: string | undefined,
  server: string,
): RedisStoreWarning | undefined {
  if (policy === undefined || policy === 'noeviction') return undefined;
  return {
    code: 'SESS_REDIS_EVICTION_POLICY',
    policy,
    server,
    message:
      `Redis at ${server} has maxmemory-policy ${policy}: when memory runs out it deletes ` +
      'sessions without an error, logging users out. Use noeviction (writes then fail ' +
      'visibly) or a Redis of its own for sessions.',
  };
}
