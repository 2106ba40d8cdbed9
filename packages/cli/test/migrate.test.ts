import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type MemcachedServer,
  type PostgresServer,
  type RedisServer,
  startMemcached,
  startPostgres,
  startRedis,
} from '@sess/test-servers';
import { type OpenedStore, openStore } from '@sess/url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allIds, sampleMismatches, seed, sess } from './helpers.js';

const COUNT = 100_000;
const SAMPLE = 1_000;
const BASE = Date.now();
const TABLE = 'cli_migrate';

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

// Private servers: the runs are heavy, and a private PostgreSQL (no fsync)
// keeps them from queueing behind every other test on the shared one. The
// chains run one after the other: SQLite's synchronous writes while seeding
// would starve the event loop of the other chain's file writes.
describe('sess migrate, 100,000 sessions across backends', () => {
  let dir: string;
  let redis: RedisServer;
  let memcached: MemcachedServer;
  let postgres: PostgresServer;
  const postgresUrl = () => `${postgres.url}?table=${TABLE}`;
  const opened: OpenedStore[] = [];
  const open = async (spec: string) => {
    const store = await openStore(spec);
    opened.push(store);
    return store.store;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sess-cli-migrate-'));
    [redis, memcached, postgres] = await Promise.all([
      startRedis(),
      startMemcached(['-m', '512']),
      startPostgres(),
    ]);
  });
  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close()));
    await Promise.all([redis?.dispose(), memcached?.dispose(), postgres?.dispose()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('copies every session from SQLite to Redis, then to PostgreSQL', LONG, async () => {
    const sqlite = `sqlite:${join(dir, 'source.db')}`;
    const seeding = await openStore(sqlite, { mode: 'create' });
    await seed(seeding.store, COUNT, BASE);
    await seeding.close();

    const toRedis = await sess(['migrate', sqlite, redis.url, '--json'], { cwd: dir });
    expect(toRedis.code, toRedis.stderr).toBe(0);
    const first = summary(toRedis.stdout);
    expect(first).toMatchObject({ listed: COUNT, copied: COUNT, failed: 0, ok: true });
    expect(first.verification).toMatchObject({ targetLive: COUNT, missing: 0 });
    const redisStore = await open(redis.url);
    expect(await redisStore.count?.()).toBe(COUNT);
    expect(await sampleMismatches(redisStore, COUNT, SAMPLE, BASE)).toEqual([]);

    const toPostgres = await sess(['migrate', redis.url, postgresUrl(), '--json'], { cwd: dir });
    expect(toPostgres.code, toPostgres.stderr).toBe(0);
    expect(summary(toPostgres.stdout)).toMatchObject({ listed: COUNT, copied: COUNT, ok: true });
    const target = await open(postgresUrl());
    expect(await target.count?.()).toBe(COUNT);
    expect(await sampleMismatches(target, COUNT, SAMPLE, BASE)).toEqual([]);
    // Listing the target returns every session exactly once.
    const ids = await allIds(target);
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
    expect(run.code, run.stderr).toBe(0);
    const result = summary(run.stdout);
    expect(result).toMatchObject({ listed: COUNT, copied: COUNT, failed: 0, ok: true });
    // memcached cannot count: the check is the sample, found whole.
    expect(result.verification).toMatchObject({ targetLive: null, missing: 0 });
    const store = await open(target);
    expect(await sampleMismatches(store, COUNT, SAMPLE * 5, BASE)).toEqual([]);
  });
});
