import { RedisStore } from '@sess/redis';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { type ExpressSessionStore, expressSessionTarget } from '../peer-target.js';
import { sessionData } from '../phases.js';
import { redisServer } from '../servers.js';
import { sessTarget } from '../sess-target.js';
import type { BenchBackend, BenchTarget } from '../target.js';

/**
 * @sess/redis against the same node-redis client sending the plain commands
 * (SET … PXAT, GET, PEXPIREAT, DEL), and connect-redis 9 (the express-session
 * store, through its callback API) on that client too, all on one private
 * redis-server.
 */
export const backend: BenchBackend = {
  name: 'redis',
  async setup() {
    const server = await redisServer();
    const client = createClient({ url: server.url });
    client.on('error', () => {});
    await client.connect();
    const send = (args: string[]) => client.sendCommand(args);

    const store = new RedisStore({ client, prefix: 'sess' });
    const sess = sessTarget(store);

    const raw: BenchTarget = {
      name: 'raw',
      role: 'raw',
      create: (id, data, expiresAt) => send(['SET', `raw:${id}`, data, 'PXAT', String(expiresAt)]),
      get: (id) => send(['GET', `raw:${id}`]),
      update: (id, data, expiresAt) => send(['SET', `raw:${id}`, data, 'PXAT', String(expiresAt)]),
      touch: (id, expiresAt) => send(['PEXPIREAT', `raw:${id}`, String(expiresAt)]),
      destroy: (id) => send(['DEL', `raw:${id}`]),
      close: async () => {},
    };

    const connectRedis = new ConnectRedisStore({ client, prefix: 'cr:' });
    const peer = expressSessionTarget(
      'connect-redis',
      connectRedis as unknown as ExpressSessionStore,
    );

    const info = String(await send(['INFO', 'server']));
    return {
      targets: [sess, raw, peer],
      info: {
        server: `redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'} (${server.origin})`,
        client: 'node-redis 5.12.1, one connection shared by all targets',
        peer: 'connect-redis 9.0.0',
      },
      async memoryPerSession() {
        await store.create('memory-probe', {
          data: sessionData(1),
          expiresAt: Date.now() + 3_600_000,
        });
        const bytes = Number(await send(['MEMORY', 'USAGE', 'sess|s|memory-probe']));
        await store.destroy('memory-probe');
        return Number.isFinite(bytes) ? bytes : undefined;
      },
      async teardown() {
        await client.close();
        await server.dispose();
      },
    };
  },
};
