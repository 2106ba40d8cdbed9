import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type MemcachedServer,
  type RedisServer,
  startMemcached,
  startRedis,
} from '@sess/test-servers';
import { type OpenedStore, openStore } from '@sess/url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allIds, sampleMismatches, seed, sess } from './helpers.js';

const COUNT = 100_000;
const SAMPLE = 1_000;
const BASE = Date.now();
const table = `cli_migrate_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
const POSTGRES = `postgres://postgres@127.0.0.1:5432/test?table=${table}`;

function summary(stdout: string) {
  return JSON.parse(stdout) as {
    listed: number;
    copied: number;
    failed: number;
    ok: boolean;
    verification: { targetLive: number | null; missing: number };
  };
}

// Each test moves 100,000 sessions twice or seeds them into files: minutes on
// a loaded two-core machine, not the default minute.
const LONG = { timeout: 300_000 };

describe('sess migrate, 100,000 sessions across backends', () => {
  let dir: string;
  let redis: RedisServer;
  let memcached: MemcachedServer;
  const opened: OpenedStore[] = [];
  const open = async (spec: string) => {
    const store = await openStore(spec);
    opened.push(store);
    return store.store;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sess-cli-migrate-'));
    [redis, memcached] = await Promise.all([startRedis(), startMemcached(['-m', '512'])]);
  });
  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close()));
    const pg = await openStore(POSTGRES, { mode: 'inspect' }).catch(() => undefined);
    if (pg?.backend.kind === 'sql') await pg.backend.query(`DROP TABLE IF EXISTS ${table}`);
    await pg?.close();
    await Promise.all([redis?.dispose(), memcached?.dispose()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('copies every session from SQLite to Redis, then to PostgreSQL', LONG, async () => {
    const sqlite = `sqlite:${join(dir, 'source.db')}`;
    const seeding = await openStore(sqlite, { mode: 'create' });
    await seed(seeding.store, COUNT, BASE);
    await seeding.close();

    const toRedis = await sess(['migrate', sqlite, redis.url, '--json'], { cwd: dir });
    expect(toRedis.code).toBe(0);
    const first = summary(toRedis.stdout);
    expect(first).toMatchObject({ listed: COUNT, copied: COUNT, failed: 0, ok: true });
    expect(first.verification).toMatchObject({ targetLive: COUNT, missing: 0 });
    const redisStore = await open(redis.url);
    expect(await redisStore.count?.()).toBe(COUNT);
    expect(await sampleMismatches(redisStore, COUNT, SAMPLE, BASE)).toEqual([]);

    const toPostgres = await sess(['migrate', redis.url, POSTGRES, '--json'], { cwd: dir });
    expect(toPostgres.code).toBe(0);
    expect(summary(toPostgres.stdout)).toMatchObject({ listed: COUNT, copied: COUNT, ok: true });
    const postgres = await open(POSTGRES);
    expect(await postgres.count?.()).toBe(COUNT);
    expect(await sampleMismatches(postgres, COUNT, SAMPLE, BASE)).toEqual([]);
    // Listing the target returns every session exactly once.
    const ids = await allIds(postgres);
    expect(ids.length).toBe(COUNT);
    expect(new Set(ids).size).toBe(COUNT);
  });

  it('copies every session from files to a memcached pool', LONG, async () => {
    const files = `file:${join(dir, 'sessions')}`;
    const seeding = await openStore(files, { mode: 'create' });
    await seed(seeding.store, COUNT, BASE);
    await seeding.close();
    const target = `memcached://${memcached.location}?prefix=moved:`;

    const run = await sess(['migrate', files, target, '--json'], { cwd: dir });
    expect(run.code).toBe(0);
    const result = summary(run.stdout);
    expect(result).toMatchObject({ listed: COUNT, copied: COUNT, failed: 0, ok: true });
    // memcached cannot count: the check is the sample, found whole.
    expect(result.verification).toMatchObject({ targetLive: null, missing: 0 });
    const store = await open(target);
    expect(await sampleMismatches(store, COUNT, SAMPLE * 5, BASE)).toEqual([]);
  });
});
