import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidOptionError, StoreUnavailableError } from '@sess/core';
import { freePort, type MemcachedServer, startMemcached } from '@sess/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenedStore, openStore } from '../src/index.js';

const tag = `url_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
const record = () => ({
  data: 'sess/1 tjson/1 1 2\n{}',
  expiresAt: Date.now() + 60_000,
  userId: 'u',
});

/** Writes, reads and destroys one session: the store works end to end. */
async function roundTrip({ store }: OpenedStore): Promise<void> {
  expect((await store.create('url-test-1', record())).ok).toBe(true);
  expect((await store.get('url-test-1'))?.userId).toBe('u');
  await store.destroy('url-test-1');
  expect(await store.get('url-test-1')).toBeNull();
}

describe('openStore against real servers', () => {
  let dir: string;
  let memcached: MemcachedServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sess-url-'));
    memcached = await startMemcached();
  });
  afterAll(async () => {
    await memcached?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  const urls = () => [
    'memory:',
    `sqlite:${join(dir, 'a.db')}?table=${tag}`,
    `file:${join(dir, 'sessions')}`,
    `redis://127.0.0.1:6379?prefix=${tag}:`,
    `postgres://postgres@127.0.0.1:5432/test?table=${tag}`,
    `mysql://root@127.0.0.1:3306/test?table=${tag}`,
    `memcached://${memcached.location}?prefix=${tag}:`,
  ];

  it('opens every scheme, creating what is missing, and the store works', async () => {
    for (const spec of urls()) {
      const opened = await openStore(spec, { mode: 'create' });
      try {
        await roundTrip(opened);
        expect(opened.url.description).not.toContain('@');
      } finally {
        await opened.close();
        await opened.close(); // idempotent
      }
    }
  });

  it('use mode needs the table, file or directory to exist, and names it', async () => {
    await expect(openStore(`sqlite:${join(dir, 'a.db')}?table=missing_${tag}`)).rejects.toThrow(
      new RegExp(`table missing_${tag} does not exist`),
    );
    await expect(
      openStore(`postgres://postgres@127.0.0.1:5432/test?table=missing_${tag}`),
    ).rejects.toThrow(InvalidOptionError);
    await expect(openStore(`sqlite:${join(dir, 'none.db')}`)).rejects.toThrow(/does not exist/);
    await expect(openStore(`file:${join(dir, 'none')}`)).rejects.toThrow(/does not exist/);
  });

  it('backend exposes the server for checks outside the contract', async () => {
    const sql = await openStore(`sqlite:${join(dir, 'a.db')}?table=${tag}`);
    try {
      expect(sql.backend).toMatchObject({ kind: 'sql', dialect: 'sqlite', table: tag });
      if (sql.backend.kind !== 'sql') throw new Error('not sql');
      expect(await sql.backend.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    } finally {
      await sql.close();
    }
    const redis = await openStore(`redis://127.0.0.1:6379?prefix=${tag}:`);
    try {
      if (redis.backend.kind !== 'redis') throw new Error('not redis');
      const [node] = await redis.backend.nodes();
      expect(await node?.command(['PING'])).toBe('PONG');
    } finally {
      await redis.close();
    }
    const mc = await openStore(`memcached://${memcached.location}`);
    try {
      if (mc.backend.kind !== 'memcached') throw new Error('not memcached');
      const settings = await mc.backend.stats(memcached.location, 'settings');
      expect(Number(settings.get('item_size_max'))).toBe(1024 * 1024);
    } finally {
      await mc.close();
    }
  });

  it('a server that is not there fails within the timeout, without the password', async () => {
    const port = await freePort();
    for (const spec of [
      `redis://:hunter22@127.0.0.1:${port}?timeoutMs=300`,
      `postgres://postgres:hunter22@127.0.0.1:${port}/test?timeoutMs=300`,
      `mysql://root:hunter22@127.0.0.1:${port}/test?timeoutMs=300`,
      `memcached://127.0.0.1:${port}?timeoutMs=300`,
    ]) {
      const failure = await openStore(spec).catch((error: Error) => error);
      expect(failure, spec).toBeInstanceOf(StoreUnavailableError);
      expect((failure as Error).message).toContain(`127.0.0.1:${port}`);
      expect(JSON.stringify(failure)).not.toContain('hunter22');
      expect((failure as Error).message).not.toContain('hunter22');
      expect((failure as Error).cause).toBeUndefined();
    }
  });

  it('cleans up what it created', async () => {
    for (const spec of urls().slice(4, 6)) {
      const opened = await openStore(spec, { mode: 'inspect' });
      if (opened.backend.kind === 'sql') await opened.backend.query(`DROP TABLE IF EXISTS ${tag}`);
      await opened.close();
    }
  });
});
