import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMemcached, startRedis } from '@sess/test-servers';
import { openStore } from '@sess/url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sess } from './helpers.js';

describe('sess doctor', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sess-cli-doctor-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('flags a Redis that evicts keys (allkeys-lru) and prints the fix', async () => {
    const redis = await startRedis(['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru']);
    try {
      const run = await sess(['doctor', redis.url]);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^FAIL .*maxmemory-policy: allkeys-lru/m);
      expect(run.stdout).toContain('CONFIG SET maxmemory-policy noeviction');
      // No persistence either (the test server runs without it).
      expect(run.stdout).toMatch(/^WARN .*persistence/m);
      const json = JSON.parse((await sess(['doctor', redis.url, '--json'])).stdout);
      expect(json.ok).toBe(false);
    } finally {
      await redis.dispose();
    }
  });

  it('passes a Redis with noeviction', async () => {
    const redis = await startRedis(['--maxmemory-policy', 'noeviction', '--appendonly', 'yes']);
    try {
      const run = await sess(['doctor', redis.url]);
      expect(run.stdout).toMatch(/^OK +.*maxmemory-policy: noeviction/m);
      expect(run.code).toBe(0);
    } finally {
      await redis.dispose();
    }
  });

  it('flags a memcached whose item size (-I) is below what the store assumes', async () => {
    const memcached = await startMemcached(['-I', '512k']);
    try {
      const url = `memcached://${memcached.location}`;
      const run = await sess(['doctor', url]);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(
        /^FAIL .*item size: -I is 524,288 bytes but the store assumes 1,048,576/m,
      );
      expect(run.stdout).toContain('itemSizeMax=524288');
      expect(run.stdout).toMatch(/^OK +.*clock/m);
      // Told the truth about -I, the store fits the server and the check passes.
      const told = await sess(['doctor', `${url}?itemSizeMax=524288`]);
      expect(told.stdout).toMatch(/^OK +.*item size/m);
      expect(told.code).toBe(0);
    } finally {
      await memcached.dispose();
    }
  });

  it('flags a SQLite table without its indexes, and a rollback journal', async () => {
    const file = join(dir, 'bare.db');
    const bare = await openStore(`sqlite:${file}?table=bare`, { mode: 'create' });
    if (bare.backend.kind !== 'sql') throw new Error('not sql');
    await bare.backend.query('DROP INDEX bare_expires_at_idx');
    await bare.backend.query('PRAGMA journal_mode = DELETE');
    await bare.close();
    const run = await sess(['doctor', `sqlite:${file}?table=bare`]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL +index on expires_at: missing/m);
    expect(run.stdout).toContain('CREATE INDEX bare_expires_at_idx ON bare (expires_at)');
    expect(run.stdout).toMatch(/^OK +index on user_id/m);
    expect(run.stdout).toMatch(/^WARN +SQLite journal mode: delete/m);
    const missing = await sess(['doctor', `sqlite:${file}?table=nothing_here`]);
    expect(missing.stdout).toMatch(/^FAIL +table nothing_here: missing/m);
  });

  it('checks a session directory: existence, permissions, free space', async () => {
    const missing = await sess(['doctor', `file:${join(dir, 'nope')}`]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/^FAIL +directory: .* does not exist/m);
    const sessions = await openStore(`file:${join(dir, 'sessions')}`, { mode: 'create' });
    await sessions.close();
    const run = await sess(['doctor', `file:${join(dir, 'sessions')}`]);
    expect(run.stdout).toMatch(/^OK +permissions/m);
    expect(run.stdout).toMatch(/free space: [\d,]+ MiB free/);
  });
});
