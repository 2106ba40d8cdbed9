import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis } from '@sess/test-servers';
import { it } from 'vitest';
import type { TieredStore } from '../src/index.js';

it('the example that opens the README runs, and its store keeps sessions', async () => {
  const readme = await readFile(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? assert.fail('no example');
  assert.ok(example.split('\n').length <= 15, 'the example is longer than 15 lines');
  const redis = await startRedis();
  const dir = await mkdtemp(join(tmpdir(), 'sess-tiered-readme-'));
  try {
    // A private Redis and a scratch directory instead of the machine's; the
    // packages by name resolve from this package's own dependencies.
    const source = example
      .replace('createClient()', `createClient({ url: '${redis.url}' })`)
      .replace("'sessions.db'", `'${join(dir, 'sessions.db')}'`)
      .replace(
        "from '@sess/tiered'",
        `from '${join(import.meta.dirname, '..', 'src', 'index.ts')}'`,
      );
    const file = join(import.meta.dirname, `readme-example-${process.pid}.ts`);
    await writeFile(file, `${source}\nexport { db, redis, store };\n`);
    try {
      const module = (await import(file)) as {
        store: TieredStore;
        redis: { close(): Promise<void> };
        db: { destroy(): Promise<void> };
      };
      const { store } = module;
      try {
        const written = await store.create('readme', {
          data: 'hello',
          expiresAt: Date.now() + 60_000,
        });
        assert.ok(written.ok);
        assert.equal((await store.get('readme'))?.data, 'hello');
        assert.equal((await store.get('readme'))?.data, 'hello');
        assert.equal(store.stats.hits, 1);
      } finally {
        await store.close();
        await module.redis.close();
        await module.db.destroy();
      }
    } finally {
      await rm(file, { force: true });
    }
  } finally {
    await redis.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});
