import assert from 'node:assert/strict';
import { LOOPBACK, startRedis, startRedisCluster } from '@sess/test-servers';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { type Address, connect, type TestClient } from './support/clients.js';

const HOUR = 3_600_000;

const topologies = [
  {
    name: 'standalone',
    cluster: false,
    start: async () => {
      const server = await startRedis();
      return { nodes: [{ host: LOOPBACK, port: server.port }], dispose: () => server.dispose() };
    },
  },
  {
    name: 'cluster',
    cluster: true,
    start: async () => {
      const cluster = await startRedisCluster(3);
      return { nodes: cluster.nodes, dispose: () => cluster.dispose() };
    },
  },
] as const;

for (const topology of topologies) {
  for (const name of ['node-redis 5', 'ioredis 5'] as const) {
    describe(`${name}, ${topology.name}: listing while sessions come and go`, () => {
      let backend: { nodes: readonly Address[]; dispose(): Promise<void> };
      let app: TestClient;
      beforeAll(async () => {
        backend = await topology.start();
        app = await connect(name, backend.nodes, { cluster: topology.cluster });
      });
      afterAll(async () => {
        await app.close();
        await backend.dispose();
      });

      it('every session that lives through a listing is listed exactly once', async () => {
        const store = new RedisStore({ client: app.client, prefix: `churn_${name.at(0)}:` });
        const stable = Array.from({ length: 600 }, (_, i) => `stable_${i}`);
        for (let i = 0; i < stable.length; i += 100) {
          await Promise.all(
            stable
              .slice(i, i + 100)
              .map((id) => store.create(id, { data: id, expiresAt: Date.now() + HOUR })),
          );
        }
        // Other sessions are created (growing the server's key table) and
        // destroyed between every page.
        let churn = 0;
        const seen = new Map<string, number>();
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.list(cursor === undefined ? { limit: 7 } : { limit: 7, cursor });
          assert.ok(page.ids.length <= 7);
          for (const id of page.ids) seen.set(id, (seen.get(id) ?? 0) + 1);
          cursor = page.cursor;
          const batch = Array.from({ length: 40 }, () => `churn_${churn++}`);
          await Promise.all(
            batch.map((id) => store.create(id, { data: 'x', expiresAt: Date.now() + HOUR })),
          );
          await Promise.all(batch.slice(0, 20).map((id) => store.destroy(id)));
          pages++;
        } while (cursor !== undefined && pages < 2_000);
        assert.equal(cursor, undefined, 'the listing never ended');
        const missing = stable.filter((id) => !seen.has(id));
        const twice = [...seen].filter(([, times]) => times > 1).map(([id]) => id);
        assert.deepEqual(missing, [], 'sessions that lived throughout were not listed');
        assert.deepEqual(twice, [], 'sessions were listed twice');
        await store.clear();
        assert.equal(await store.count(), 0);
        await store.close();
      });
    });
  }
}
