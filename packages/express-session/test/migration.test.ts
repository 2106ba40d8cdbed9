import assert from 'node:assert/strict';
import type { SessionStore } from '@sess/core';
import { RedisStore } from '@sess/redis';
import { startRedis } from '@sess/test-servers';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import type { Store } from 'express-session';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type MigrationProgress, SessStore } from '../src/index.js';
import { Interleaving, orders, scheduledLegacy, scheduledSess } from './support/interleaving.js';
import {
  connectPgSimple,
  connectRedis,
  type LegacyFixture,
  legacyGet,
  legacySet,
} from './support/legacy.js';
import { hasCode, newSid, sessionOf } from './support/sessions.js';

const userIdOf = (s: { passport?: { user?: string | number } }) => s.passport?.user;

const LEGACIES = [
  { label: 'connect-redis on Redis', open: connectRedis },
  { label: 'connect-pg-simple on PostgreSQL', open: connectPgSimple },
];

for (const { label, open } of LEGACIES) {
  describe(`migrating from ${label}`, () => {
    let fixture: LegacyFixture;
    let legacy: Store;
    let sess: SessionStore;

    beforeAll(async () => {
      fixture = await open();
    });
    afterAll(async () => {
      await fixture.close();
    });
    const pair = async () => {
      ({ legacy, sess } = await fixture.open());
    };
    /** A session the old deploy wrote, through the legacy store's own API. */
    const seed = async (data: Record<string, unknown> = { n: 1 }) => {
      const sid = newSid();
      await legacySet(legacy, sid, sessionOf(data));
      return sid;
    };

    it('a read moves the session into sess, tagged with its user, and out of the legacy store', async () => {
      await pair();
      const store = new SessStore(sess, { migrateFrom: legacy, userIdOf });
      const written = sessionOf({ n: 1, passport: { user: 7 }, seen: '2024-01-01' });
      const sid = newSid();
      await legacySet(legacy, sid, written);
      const moved = await store.get(sid);
      assert.ok(moved);
      assert.equal(moved.n, 1);
      assert.deepEqual(moved.passport, { user: 7 });
      assert.ok(moved.cookie.expires instanceof Date, 'cookie.expires is a Date again');
      // JSON stores keep the expiry to the millisecond.
      assert.equal(
        (moved.cookie.expires as Date).getTime(),
        (written.cookie.expires as Date).getTime(),
      );
      const record = await sess.get(sid);
      assert.ok(record);
      assert.equal(record.userId, '7');
      assert.equal(record.expiresAt, (written.cookie.expires as Date).getTime());
      assert.equal(await legacyGet(legacy, sid), null, 'removed from the legacy store');
      assert.deepEqual(store.migrationStats(), {
        legacyReads: 1,
        migrated: 1,
        notFound: 0,
        unmovable: 0,
      });
      assert.equal((await store.get(sid))?.n, 1, 'the next read is served by sess');
      assert.equal(store.migrationStats().legacyReads, 1);
    });

    it('keepLegacy leaves the legacy copy; destroy removes both', async () => {
      await pair();
      const store = new SessStore(sess, { migrateFrom: legacy, keepLegacy: true });
      const sid = await seed();
      assert.equal((await store.get(sid))?.n, 1);
      assert.ok(await sess.get(sid));
      assert.equal((await legacyGet(legacy, sid))?.n, 1, 'kept in the legacy store');
      await store.destroy(sid);
      assert.equal(await sess.get(sid), null);
      assert.equal(await legacyGet(legacy, sid), null);
      assert.equal(await store.get(sid), null);
    });

    it('set writes only to sess', async () => {
      await pair();
      const store = new SessStore(sess, { migrateFrom: legacy, keepLegacy: true });
      const fresh = newSid();
      await store.set(fresh, sessionOf({ n: 5 }));
      assert.equal(await legacyGet(legacy, fresh), null);
      const sid = await seed({ n: 1 });
      const loaded = await store.get(sid);
      assert.ok(loaded);
      await store.set(sid, store.createSession({ sessionID: sid } as never, loaded));
      await store.set(sid, sessionOf({ n: 2 }));
      assert.equal((await store.get(sid))?.n, 2);
      assert.equal(
        (await legacyGet(legacy, sid))?.n,
        1,
        'the legacy copy is as the old deploy left it',
      );
    });

    it('a sid found nowhere is a miss, counted', async () => {
      await pair();
      const store = new SessStore(sess, { migrateFrom: legacy });
      assert.equal(await store.get(newSid()), null);
      assert.equal(await store.get('not.a.valid.sid'), null);
      assert.deepEqual(store.migrationStats(), {
        legacyReads: 1,
        migrated: 0,
        notFound: 1,
        unmovable: 0,
      });
    });

    it('a legacy session sess cannot hold is served from the legacy store, counted', async () => {
      await pair();
      const store = new SessStore(sess, { migrateFrom: legacy, userIdOf });
      const sid = await seed({ n: 1, passport: { user: 'x'.repeat(300) } });
      assert.equal((await store.get(sid))?.n, 1);
      assert.equal(await sess.get(sid), null);
      assert.equal((await legacyGet(legacy, sid))?.n, 1);
      assert.equal(store.migrationStats().unmovable, 1);
    });

    it('migrateAll moves what is left, reporting progress, and skips what moved already', async () => {
      await pair();
      const store = new SessStore(sess, { migrateFrom: legacy });
      const sids: string[] = [];
      for (let i = 0; i < 250; i++) sids.push(await seed({ n: i }));
      for (const sid of sids.slice(0, 50)) assert.ok(await store.get(sid));
      const reports: MigrationProgress[] = [];
      const ids = fixture.lists ? undefined : await fixture.ids(legacy);
      const report = await store.migrateAll({
        ...(ids ? { ids } : {}),
        progressEvery: 50,
        concurrency: 4,
        onProgress: (progress) => reports.push(progress),
      });
      assert.deepEqual(report, {
        listed: 200,
        migrated: 200,
        alreadyMoved: 0,
        notFound: 0,
        unmovable: 0,
        failed: 0,
        done: true,
      });
      assert.deepEqual(
        reports.map((r) => [r.listed, r.done]),
        [
          [50, false],
          [100, false],
          [150, false],
          [200, false],
          [200, true],
        ],
      );
      for (const [i, sid] of sids.entries()) {
        assert.equal((await legacyGet(legacy, sid)) ?? null, null);
        assert.equal((await store.get(sid))?.n, i);
      }
      assert.equal(store.migrationStats().migrated, 250);
      const again = await store.migrateAll(ids ? { ids: sids } : {});
      assert.equal(again.migrated, 0);
      assert.equal(again.listed, ids ? 250 : 0);
      assert.equal(again.alreadyMoved, ids ? 250 : 0);
    });

    it('migrateAll with keepLegacy counts the sessions already in sess', async () => {
      await pair();
      const store = new SessStore(sess, { migrateFrom: legacy, keepLegacy: true });
      const sids = [await seed(), await seed(), await seed()];
      await store.get(sids[0] as string);
      const report = await store.migrateAll({ ids: sids });
      assert.deepEqual([report.listed, report.migrated, report.alreadyMoved], [3, 2, 1]);
    });

    it('clear empties both stores, or refuses before touching either', async () => {
      await pair();
      const store = new SessStore(sess, { migrateFrom: legacy });
      const moved = await seed();
      await store.get(moved);
      const left = await seed();
      if (typeof legacy.clear === 'function') {
        await store.clear();
        assert.equal(await legacyGet(legacy, left), null);
        assert.equal(await store.get(left), null);
        assert.equal(await store.get(moved), null);
      } else {
        await assert.rejects(store.clear(), (error: unknown) => {
          assert.ok(hasCode('SESS_UNSUPPORTED')(error));
          assert.match((error as Error).message, /legacy store does not support clear/);
          return true;
        });
        assert.ok(await store.get(moved));
        assert.ok(await legacyGet(legacy, left));
      }
    });

    it('destroyByUser during a migration removes the legacy copies too: nothing comes back', async () => {
      await pair();
      const store = new SessStore(sess, { migrateFrom: legacy, keepLegacy: true, userIdOf });
      const mine = [
        await seed({ passport: { user: 'u' } }),
        await seed({ passport: { user: 'u' } }),
      ];
      const theirs = await seed({ passport: { user: 'v' } });
      for (const sid of [...mine, theirs]) assert.ok(await store.get(sid));
      assert.equal(await store.destroyByUser('u', { except: mine[0] as string }), 1);
      assert.equal(await store.get(mine[1] as string), null);
      assert.equal(await legacyGet(legacy, mine[1] as string), null);
      assert.ok(await store.get(mine[0] as string));
      assert.ok(await store.get(theirs));
    });

    /*
     * The race the design is about: a read moving a session (sess get, legacy
     * get, sess create, legacy get, legacy destroy) against a logout (legacy
     * destroy, sess destroy), in every order of their store calls.
     */
    for (const keepLegacy of [false, true]) {
      it(`a logout racing a moving read always wins, in every interleaving (keepLegacy: ${keepLegacy})`, async () => {
        await pair();
        const tried = new Set<string>();
        for (const order of orders('R', 5, 'L', 2)) {
          const sid = await seed({ n: 1 });
          const schedule = new Interleaving(order);
          const side = (actor: string) =>
            new SessStore(scheduledSess(sess, actor, schedule), {
              migrateFrom: scheduledLegacy(legacy, actor, schedule),
              keepLegacy,
            });
          const reader = side('R');
          const logout = side('L');
          const [read] = await Promise.all([
            reader.get(sid).finally(() => schedule.finish('R')),
            logout.destroy(sid).finally(() => schedule.finish('L')),
          ]);
          tried.add(`${order}:${read === null ? 'miss' : 'hit'}`);
          assert.equal(await sess.get(sid), null, `sess revived it after ${order}`);
          assert.equal(await legacyGet(legacy, sid), null, `legacy kept it after ${order}`);
          assert.equal(await new SessStore(sess, { migrateFrom: legacy }).get(sid), null);
        }
        // Both outcomes of the read happen: the interleavings really differ.
        const outcomes = new Set([...tried].map((t) => t.split(':')[1]));
        assert.deepEqual([...outcomes].sort(), ['hit', 'miss']);
      });
    }

    it('two processes moving one session at once: one moves it, both read it, every interleaving', async () => {
      await pair();
      for (const order of orders('A', 5, 'B', 5)) {
        const sid = await seed({ n: 1 });
        const schedule = new Interleaving(order);
        const side = (actor: string) =>
          new SessStore(scheduledSess(sess, actor, schedule), {
            migrateFrom: scheduledLegacy(legacy, actor, schedule),
          });
        const a = side('A');
        const b = side('B');
        const reads = await Promise.all([
          a.get(sid).finally(() => schedule.finish('A')),
          b.get(sid).finally(() => schedule.finish('B')),
        ]);
        assert.deepEqual(
          reads.map((r) => r?.n),
          [1, 1],
          `a read missed after ${order}`,
        );
        assert.equal(
          a.migrationStats().migrated + b.migrationStats().migrated,
          1,
          `moved twice after ${order}`,
        );
        assert.ok(await sess.get(sid));
        assert.equal(await legacyGet(legacy, sid), null, `left in legacy after ${order}`);
      }
    });
  });
}

describe('migrating from connect-redis, beyond its own checks', () => {
  it('a legacy session whose cookie has expired is not moved, and leaves the legacy store', async () => {
    const server = await startRedis();
    const client = createClient({ url: server.url });
    client.on('error', () => {});
    await client.connect();
    try {
      const store = new SessStore(new RedisStore({ client, prefix: 'sess:new:' }), {
        migrateFrom: new ConnectRedisStore({ client, prefix: 'sess:old:' }),
      });
      // Written by a clock running ahead, or read by one running behind: the cookie is over.
      const sid = newSid();
      const cookie = { expires: new Date(Date.now() - 1000).toISOString(), path: '/' };
      await client.set(`sess:old:${sid}`, JSON.stringify({ cookie, n: 1 }), { EX: 60 });
      assert.equal(await store.get(sid), null);
      assert.equal(await client.exists(`sess:old:${sid}`), 0);
      assert.equal(await client.exists(`sess:new:|s|${sid}`), 0);
      assert.equal(store.migrationStats().notFound, 1);
    } finally {
      await client.close();
      await server.dispose();
    }
  });
});

describe('migrating from a legacy store that is down', () => {
  it('reads fail within legacyTimeoutMs; a logout still ends the sess record and reports it', async () => {
    const sessServer = await startRedis();
    const legacyServer = await startRedis();
    const sessClient = createClient({ url: sessServer.url });
    // The client connect-redis is given queues commands while Redis is down: without a bound, forever.
    const legacyClient = createClient({ url: legacyServer.url });
    sessClient.on('error', () => {});
    legacyClient.on('error', () => {});
    await sessClient.connect();
    await legacyClient.connect();
    try {
      const legacy = new ConnectRedisStore({ client: legacyClient });
      const sess = new RedisStore({ client: sessClient });
      const store = new SessStore(sess, { migrateFrom: legacy, legacyTimeoutMs: 300 });
      const left = newSid();
      await legacySet(legacy, left, sessionOf({ n: 1 }));
      const moved = newSid();
      await legacySet(legacy, moved, sessionOf({ n: 2 }));
      assert.ok(await store.get(moved));
      await legacyServer.kill();

      await assert.rejects(store.get(left), hasCode('SESS_STORE_UNAVAILABLE'));
      await assert.rejects(store.destroy(moved), hasCode('SESS_STORE_UNAVAILABLE'));
      assert.equal(await sess.get(moved), null, 'the sess record is gone all the same');
      const report = await store.migrateAll({ ids: [left], concurrency: 1 });
      assert.equal(report.failed, 1);
      // Sessions already in sess are served as usual.
      const fresh = newSid();
      await store.set(fresh, sessionOf({ n: 3 }));
      assert.equal((await store.get(fresh))?.n, 3);
    } finally {
      await sessClient.close();
      legacyClient.destroy();
      await sessServer.dispose();
      await legacyServer.dispose();
    }
  });
});
