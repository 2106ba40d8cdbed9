import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisServer, startRedis } from '@sess/test-servers';
import { openStore } from '@sess/url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allIds, sampleMismatches, seed, sess, start } from './helpers.js';

const COUNT = 100_000;
const BASE = Date.now();

/** How many sessions the checkpoint says are settled, or 0 before the first page. */
async function settled(dir: string): Promise<number> {
  const file = (await readdir(dir)).find((name) => /^sess-migrate-.*\.json$/.test(name));
  if (!file) return 0;
  try {
    const { tally } = JSON.parse(await readFile(join(dir, file), 'utf8')) as {
      tally: Record<string, number>;
    };
    return Object.values(tally).reduce((sum, n) => sum + n, 0);
  } catch {
    return 0; // replaced while being read
  }
}

/** Resolves once the running migration has settled at least `count` sessions. */
async function reached(dir: string, count: number, exited: Promise<unknown>): Promise<void> {
  let over = false;
  void exited.then(() => {
    over = true;
  });
  while ((await settled(dir)) < count) {
    if (over) throw new Error('the migration ended before it was interrupted');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('an interrupted migration', () => {
  let dir: string;
  let redis: RedisServer;
  let source: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sess-cli-resume-'));
    redis = await startRedis();
    source = `sqlite:${join(dir, 'source.db')}`;
    const seeding = await openStore(source, { mode: 'create' });
    await seed(seeding.store, COUNT, BASE);
    await seeding.close();
  });
  afterAll(async () => {
    await redis?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('stops cleanly on SIGINT, survives SIGKILL, and --resume finishes with nothing lost or doubled', {
    timeout: 300_000,
  }, async () => {
    // Small pages, few in flight: slow enough to be caught in the middle.
    const args = ['migrate', source, redis.url, '--batch', '200', '--concurrency', '4'];

    const first = start(args, dir);
    await reached(dir, COUNT / 5, first.done);
    first.child.kill('SIGINT');
    const interrupted = await first.done;
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toContain('--resume');
    expect(interrupted.stderr).not.toMatch(/\n\s+at /);
    const afterInterrupt = await settled(dir);
    expect(afterInterrupt).toBeGreaterThanOrEqual(COUNT / 5);
    expect(afterInterrupt).toBeLessThan(COUNT);

    // Without --resume the checkpoint is not silently ignored.
    const refused = await sess(args, { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--resume');

    const second = start([...args, '--resume'], dir);
    await reached(dir, COUNT / 2, second.done);
    second.child.kill('SIGKILL');
    expect((await second.done).signal).toBe('SIGKILL');

    const last = await sess(
      [...args, '--resume', '--batch', '1000', '--concurrency', '64', '--json'],
      {
        cwd: dir,
      },
    );
    expect(last.code).toBe(0);
    const result = JSON.parse(last.stdout) as {
      ok: boolean;
      listed: number;
      copied: number;
      present: number;
      failed: number;
    };
    expect(result.ok).toBe(true);
    // Across the three runs every session was listed once, and those of the
    // page under way at the kill were found already in place.
    expect(result.listed).toBe(COUNT);
    expect(result.copied + result.present).toBe(result.listed);
    expect(result.failed).toBe(0);
    expect(await settled(dir)).toBe(0); // the checkpoint is gone

    const target = await openStore(redis.url);
    try {
      const ids = await allIds(target.store);
      expect(ids.length).toBe(COUNT);
      expect(new Set(ids).size).toBe(COUNT);
      expect(await target.store.count?.()).toBe(COUNT);
      expect(await sampleMismatches(target.store, COUNT, COUNT, BASE)).toEqual([]);
    } finally {
      await target.close();
    }
  });
});
