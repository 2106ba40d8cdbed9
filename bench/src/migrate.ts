/**
 * `sess migrate` throughput: sessions per second for each pair of stores the
 * CLI's tests migrate (SQLite → Redis, Redis → PostgreSQL, files →
 * Memcached), on private servers (or the SESS_BENCH_* ones).
 *
 * After building: `pnpm --filter @sess/bench migrate [--sessions 100000] [--rounds 3]`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCli } from '@sess/cli';
import type { SessionStore } from '@sess/core';
import { openStore } from '@sess/url';
import { cliArgs } from './cli-args.js';
import { memcachedServer, postgresServer, redisServer } from './servers.js';

const { values } = parseArgs({
  args: cliArgs(),
  options: { sessions: { type: 'string' }, rounds: { type: 'string' } },
});
const SESSIONS = Number(values.sessions ?? 100_000);
const ROUNDS = Number(values.rounds ?? 3);

/** A typical signed-in session: about 350 bytes, a user on every third. */
async function fill(store: SessionStore, count: number): Promise<void> {
  const expiresAt = Date.now() + 86_400_000;
  const data = `sess/1 tjson/1 ${Date.now()} ${expiresAt}\n${JSON.stringify({ cart: ['a', 'b'], pad: 'x'.repeat(280) })}`;
  for (let i = 0; i < count; i += 1_000) {
    await Promise.all(
      Array.from({ length: Math.min(1_000, count - i) }, (_, j) =>
        store.create(`bench-${i + j}`, {
          data,
          expiresAt: expiresAt + i + j,
          ...((i + j) % 3 === 0 ? { userId: `user-${(i + j) % 500}` } : {}),
        }),
      ),
    );
  }
}

/** Runs one migration through the command itself and returns its sessions per second. */
async function migrate(from: string, to: string, cwd: string): Promise<number> {
  const out: string[] = [];
  const checkpoint = join(cwd, 'migrate-checkpoint.json');
  const status = await runCli(['migrate', from, to, '--json', '--checkpoint', checkpoint], {
    out: (line) => out.push(line),
    err: () => {},
  });
  if (status !== 0) throw new Error(`sess migrate ${from} → ${to} exited with ${status}`);
  const result = JSON.parse(out.join('')) as { listed: number; sessionsPerSecond: number };
  if (result.listed !== SESSIONS) throw new Error(`migrated ${result.listed} of ${SESSIONS}`);
  return result.sessionsPerSecond;
}

async function clear(spec: string): Promise<void> {
  const opened = await openStore(spec, { mode: 'create' });
  await opened.store.clear?.();
  await opened.close();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const dir = await mkdtemp(join(tmpdir(), 'sess-bench-migrate-'));
const [redis, postgres, memcached] = await Promise.all([
  redisServer(),
  postgresServer(),
  memcachedServer(['-m', '1024']),
]);
try {
  const tag = Math.random().toString(36).slice(2, 8);
  const sqlite = `sqlite:${join(dir, 'source.db')}`;
  const files = `file:${join(dir, 'sessions')}`;
  const redisUrl = `${redis.url}?prefix=bench-migrate-${tag}:`;
  const pgUrl = `${postgres.url.replace(/\?.*$/, '')}?table=bench_migrate_${tag}`;
  const memcachedUrl = `memcached://${memcached.location}?prefix=bench-migrate-${tag}:`;

  for (const spec of [sqlite, files]) {
    const opened = await openStore(spec, { mode: 'create' });
    await fill(opened.store, SESSIONS);
    await opened.close();
  }
  const rates: Record<string, number[]> = {
    'SQLite → Redis': [],
    'Redis → PostgreSQL': [],
    'files → Memcached': [],
  };
  for (let round = 0; round < ROUNDS; round++) {
    await clear(redisUrl);
    await clear(pgUrl);
    rates['SQLite → Redis']?.push(await migrate(sqlite, redisUrl, dir));
    rates['Redis → PostgreSQL']?.push(await migrate(redisUrl, pgUrl, dir));
    // Memcached cannot be emptied by prefix: each round writes under its own.
    rates['files → Memcached']?.push(await migrate(files, `${memcachedUrl}r${round}:`, dir));
  }
  const pg = await openStore(pgUrl, { mode: 'inspect' });
  if (pg.backend.kind === 'sql') await pg.backend.query(`DROP TABLE bench_migrate_${tag}`);
  await pg.close();
  await clear(redisUrl);

  console.log(`sess migrate, ${SESSIONS.toLocaleString('en-US')} sessions, median of ${ROUNDS}:`);
  console.log('| pair | sessions/s | runs |');
  console.log('| ---- | ---------: | ---- |');
  for (const [pair, runs] of Object.entries(rates)) {
    console.log(
      `| ${pair} | ${median(runs).toLocaleString('en-US')} | ${runs.map((r) => r.toLocaleString('en-US')).join(', ')} |`,
    );
  }
  console.log(
    `servers: Redis ${redis.origin}, PostgreSQL ${postgres.origin}, Memcached ${memcached.origin}`,
  );
} finally {
  await Promise.all([redis.dispose(), postgres.dispose(), memcached.dispose()]);
  await rm(dir, { recursive: true, force: true });
}
