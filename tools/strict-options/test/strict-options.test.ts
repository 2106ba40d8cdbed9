import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidOptionError, MemoryStore, SessionManager } from '@sess/core';
import { sessionMiddleware as expressMiddleware } from '@sess/express';
import { SessStore } from '@sess/express-session';
import { sessionPlugin } from '@sess/fastify';
import { FileStore } from '@sess/file';
import { sessionMiddleware as honoMiddleware } from '@sess/hono';
import { SessionCookie, SessionHttp } from '@sess/http';
import { MemcachedClient, MemcachedStore } from '@sess/memcached';
import { RedisStore } from '@sess/redis';
import { SqlStore } from '@sess/sql';
import { TieredStore } from '@sess/tiered';
import { openStore } from '@sess/url';
import Fastify from 'fastify';
import knex, { type Knex } from 'knex';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Nothing here talks to a server: every client connects lazily, and what a
// constructor opens is closed after each case.
const store = new MemoryStore();
const manager = new SessionManager({ store });
const redisClient = createClient({ url: 'redis://127.0.0.1:6379' });
const MEMCACHED = ['127.0.0.1:11211'];
const memcachedClient = new MemcachedClient({ servers: MEMCACHED });
let db: Knex;
let directory: string;
beforeAll(async () => {
  db = knex({
    client: 'better-sqlite3',
    connection: { filename: ':memory:' },
    useNullAsDefault: true,
  });
  directory = await mkdtemp(join(tmpdir(), 'sess-strict-options-'));
});
afterAll(async () => {
  await db.destroy();
  await rm(directory, { recursive: true, force: true });
  await store.close();
  await memcachedClient.close();
});

type Extra = Record<string, unknown>;
/** Something a case built: closed after the case when it can be. */
type Built = unknown;

interface Case {
  /** The constructor, as users call it. */
  readonly name: string;
  /** Builds it from valid options plus `extra`; throws or rejects on bad options. */
  readonly make: (extra: Extra) => Built | Promise<Built>;
  /** A misspelling users make, and the option it should have been. */
  readonly typo: readonly [misspelt: string, meant: string];
}

const CASES: readonly Case[] = [
  {
    name: 'SessionManager',
    make: (extra) => new SessionManager({ store, ...extra }),
    typo: ['idleTimeout', 'idleTimeoutMs'],
  },
  {
    name: 'MemoryStore',
    make: (extra) => new MemoryStore({ ...extra }),
    typo: ['maxEntry', 'maxEntries'],
  },
  {
    name: 'RedisStore',
    make: (extra) => new RedisStore({ client: redisClient, ...extra }),
    typo: ['prefx', 'prefix'],
  },
  {
    name: 'MemcachedStore',
    make: (extra) => new MemcachedStore({ servers: MEMCACHED, ...extra }),
    typo: ['operationTimeout', 'operationTimeoutMs'],
  },
  {
    name: 'MemcachedClient',
    make: (extra) => new MemcachedClient({ servers: MEMCACHED, ...extra }),
    typo: ['connectionPerServer', 'connectionsPerServer'],
  },
  {
    name: 'SqlStore',
    make: (extra) => new SqlStore({ knex: db, ...extra }),
    typo: ['tabel', 'table'],
  },
  {
    name: 'FileStore',
    make: (extra) => new FileStore({ directory, ...extra }),
    typo: ['fsyncs', 'fsync'],
  },
  {
    name: 'TieredStore',
    make: (extra) =>
      new TieredStore({ cache: new MemoryStore(), durable: new MemoryStore(), ...extra }),
    typo: ['cacheTimeout', 'cacheTimeoutMs'],
  },
  {
    name: 'SessionHttp (@sess/http)',
    make: (extra) => new SessionHttp({ manager, ...extra }),
    typo: ['cookies', 'cookie'],
  },
  {
    name: 'SessionCookie (@sess/http)',
    make: (extra) => new SessionCookie({ ...extra }),
    typo: ['samesite', 'sameSite'],
  },
  {
    name: 'sessionMiddleware (@sess/express)',
    make: (extra) => expressMiddleware({ manager, ...extra }),
    typo: ['cokie', 'cookie'],
  },
  {
    name: 'sessionPlugin (@sess/fastify)',
    make: async (extra) => {
      const app = Fastify();
      try {
        // `prefix` is Fastify's own register option: it must stay welcome.
        await app.register(sessionPlugin, { manager, prefix: '/app', ...extra }).ready();
      } finally {
        await app.close();
      }
    },
    typo: ['managr', 'manager'],
  },
  {
    name: 'sessionMiddleware (@sess/hono)',
    make: (extra) => honoMiddleware({ manager, ...extra }),
    typo: ['trustProxies', 'trustProxy'],
  },
  {
    name: 'SessStore (@sess/express-session)',
    make: (extra) => new SessStore(store, { ...extra }),
    typo: ['touchAfter', 'touchAfterMs'],
  },
  {
    name: 'openStore (@sess/url)',
    make: (extra) => openStore('memory:', { ...extra }),
    typo: ['modes', 'mode'],
  },
];

/** Closes what a case built, when it is something that closes. */
async function dispose(built: Built): Promise<void> {
  if (typeof built !== 'object' || built === null || built === store) return;
  const { close } = built as { close?: () => unknown };
  if (typeof close === 'function' && !(built instanceof SessionManager)) {
    await close.call(built);
  }
}

async function build(make: Case['make'], extra: Extra): Promise<void> {
  await dispose(await make(extra));
}

describe.each(CASES)('$name', ({ make, typo: [misspelt, meant] }) => {
  it('accepts its own options', async () => {
    await expect(build(make, {})).resolves.toBeUndefined();
  });

  it(`refuses "${misspelt}" with InvalidOptionError naming it and "${meant}"`, async () => {
    const error = await build(make, { [misspelt]: 1 }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toContain(`"${misspelt}"`);
    expect((error as Error).message).toContain(`did you mean "${meant}"?`);
  });
});

it('names an unknown key that resembles no option without guessing', () => {
  expect(() => new MemoryStore({ colour: 'blue' } as never)).toThrow(
    /MemoryStore has no option "colour"\. Known options: now, maxEntries, maxPayloadBytes\./,
  );
});

describe('contradictory values', () => {
  it.each([
    [
      'SessionManager: an idle timeout above the absolute one',
      () => new SessionManager({ store, idleTimeoutMs: 7_200_000, absoluteTimeoutMs: 3_600_000 }),
      /idleTimeoutMs \(7200000\) is longer than absoluteTimeoutMs \(3600000\)/,
    ],
    [
      'SessionManager: a renewal window beyond the idle window',
      () => new SessionManager({ store, idleTimeoutMs: 60_000, renewWhenRemainingMs: 60_001 }),
      /renewWhenRemainingMs/,
    ],
    [
      'MemcachedStore: both a client and servers',
      () =>
        new MemcachedStore({
          client: memcachedClient,
          servers: MEMCACHED,
        } as never),
      /either `client` or `servers`/,
    ],
  ])('%s is refused with InvalidOptionError', (_, make, message) => {
    expect(make).toThrow(InvalidOptionError);
    expect(make).toThrow(message);
  });

  it('an idle timeout equal to the absolute one is fine', () => {
    expect(
      new SessionManager({ store, idleTimeoutMs: 3_600_000, absoluteTimeoutMs: 3_600_000 }).policy
        .idleTimeoutMs,
    ).toBe(3_600_000);
  });
});
