import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { MemcachedClient, MemcachedStore } from '@sess/memcached';
import { startMemcached } from '@sess/test-servers';
import type { BenchBackend, BenchTarget } from '../target.js';
import { versionedUpdate } from './versions.js';

const require = createRequire(import.meta.url);
const seconds = (expiresAt: number) => Math.ceil(expiresAt / 1000);
const RECORD_FLAGS = 0;

/** connect-memcached's store through express-session's callback API, promisified. */
interface CallbackStore {
  get(sid: string, cb: (error: unknown, session?: unknown) => void): void;
  set(sid: string, session: unknown, cb: (error?: unknown) => void): void;
  touch(sid: string, session: unknown, cb: (error?: unknown) => void): void;
  destroy(sid: string, cb: (error?: unknown) => void): void;
  client: { end(): void };
}

function connectMemcached(location: string): BenchTarget {
  const session = require('express-session') as { Store: unknown };
  const factory = require('connect-memcached') as (s: unknown) => new (o: object) => CallbackStore;
  const MemcachedStoreClass = factory(session);
  const store = new MemcachedStoreClass({ hosts: [location], prefix: 'peer:' });
  const get = promisify(store.get.bind(store));
  const set = promisify(store.set.bind(store));
  const touch = promisify(store.touch.bind(store));
  const destroy = promisify(store.destroy.bind(store));
  // express-session hands the whole session to set and touch; keep it as it would.
  const sessions = new Map<string, { cookie: { maxAge: number }; data: string }>();
  const write = (id: string, data: string, expiresAt: number) => {
    const value = { cookie: { maxAge: expiresAt - Date.now() }, data };
    sessions.set(id, value);
    return set(id, value);
  };
  return {
    name: 'connect-memcached',
    role: 'peer',
    create: write,
    get: (id) => get(id),
    update: write,
    touch: (id, expiresAt) => {
      const value = sessions.get(id) ?? { cookie: { maxAge: 0 }, data: '' };
      value.cookie.maxAge = expiresAt - Date.now();
      return touch(id, value);
    },
    destroy: (id) => destroy(id),
    close: async () => store.client.end(),
  };
}

/**
 * MemcachedStore against the same client doing plain memcached work on the
 * same server (set, get, a touch that only moves the TTL, delete), and
 * against connect-memcached.
 */
export const backend: BenchBackend = {
  name: 'memcached',
  async setup() {
    const server = await startMemcached(['-m', '256']);
    const client = new MemcachedClient({ servers: [server.location] });
    const store = new MemcachedStore({ client, prefix: 'sess:' });
    const sess: BenchTarget = {
      name: 'sess',
      role: 'sess',
      ...versionedUpdate(store),
      get: (id) => store.get(id),
      touch: (id, expiresAt) => store.touch(id, expiresAt),
      destroy: (id) => store.destroy(id),
      close: () => store.close(),
    };
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
    const version = execFileSync('memcached', ['-V']).toString().trim();
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
