import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { MemcachedClient, MemcachedStore } from '@sess/memcached';
import { type ExpressSessionStore, expressSessionTarget } from '../peer-target.js';
import { memcachedServer } from '../servers.js';
import { sessTarget } from '../sess-target.js';
import type { BenchBackend, BenchTarget } from '../target.js';

const require = createRequire(import.meta.url);
const seconds = (expiresAt: number) => Math.ceil(expiresAt / 1000);
const RECORD_FLAGS = 0;

/** connect-memcached through express-session's callback API. */
function connectMemcached(location: string): BenchTarget {
  const session = require('express-session') as { Store: unknown };
  const factory = require('connect-memcached') as (
    s: unknown,
  ) => new (
    o: object,
  ) => ExpressSessionStore & { client: { end(): void } };
  const store = new (factory(session))({ hosts: [location], prefix: 'peer:' });
  return expressSessionTarget('connect-memcached', store, async () => store.client.end());
}

/**
 * MemcachedStore against the same client doing plain memcached work on the
 * same server (set, get, a touch that only moves the TTL, delete), and
 * against connect-memcached.
 */
export const backend: BenchBackend = {
  name: 'memcached',
  async setup() {
    const server = await memcachedServer(['-m', '256']);
    const client = new MemcachedClient({ servers: [server.location] });
    const store = new MemcachedStore({ client, prefix: 'sess:' });
    const sess = sessTarget(store);
    const raw: BenchTarget = {
      name: 'raw',
      role: 'raw',
      create: (id, data, expiresAt) =>
        client.set(`raw:${id}`, Buffer.from(data), {
          exptime: seconds(expiresAt),
          flags: RECORD_FLAGS,
        }),
      get: async (id) => (await client.get(`raw:${id}`))?.value.toString(),
      update: (id, data, expiresAt) =>
        client.set(`raw:${id}`, Buffer.from(data), {
          exptime: seconds(expiresAt),
          flags: RECORD_FLAGS,
        }),
      touch: (id, expiresAt) => client.touch(`raw:${id}`, seconds(expiresAt)),
      destroy: (id) => client.delete(`raw:${id}`),
      close: async () => {},
    };
    // The local binary's version: what a private server runs.
    const version = `${execFileSync('memcached', ['-V']).toString().trim()} (${server.origin})`;
    return {
      targets: [sess, raw, connectMemcached(server.location)],
      info: { memcached: version, client: '@sess/memcached MemcachedClient, 1 connection' },
      async teardown() {
        await client.close();
        await server.dispose();
      },
    };
  },
};
