import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { sign } from 'cookie-signature';
import express, { type ErrorRequestHandler } from 'express';
import session from 'express-session';
import { describe, it } from 'vitest';
import { type MigrationProgress, SessStore } from '../../src/index.js';
import { listen } from './http.js';
import { type LegacyFixture, legacySet } from './legacy.js';
import { newSid, sessionOf } from './sessions.js';

const SESSIONS = 10_000;
const CLIENTS = 64;
const SECRET = 'live migration';
const HOUR = 3_600_000;

/** Runs `work` over `items`, `width` at a time. */
async function each<T>(items: readonly T[], width: number, work: (item: T) => Promise<unknown>) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: width }, lane));
}

/** One HTTP call on a kept-alive connection; the JSON body. */
function call(
  agent: Agent,
  url: string,
  method: string,
  cookie: string,
): Promise<{ status: number; body: { fresh?: true; tag?: number; n?: number } }> {
  return new Promise((resolve, reject) => {
    const sent = request(url, { agent, method, headers: { cookie } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }),
      );
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end();
  });
}

/**
 * A deploy of SessStore with migrateFrom over the sessions the old deploy
 * left: 64 clients keep visiting their sessions over HTTP (and log some out,
 * some before and some after their first visit) while migrateAll() runs,
 * round after round until it has finished. Each session has one client, so
 * what a visit must see is known exactly. Counted:
 *
 * - lost: a visit found no session (or another one), or a count that jumped;
 *   at the end, a session missing from sess or holding another count than
 *   its last visit left;
 * - duplicated: a visit served a count it had served before (a stale copy);
 *   at the end, a session still in the legacy store;
 * - revived: a session logged out was served again, or at the end is in
 *   either store.
 */
export function liveMigration(label: string, open: () => Promise<LegacyFixture>): void {
  describe('live migration', () => {
    it(`moves ${SESSIONS} sessions from ${label} while ${CLIENTS} clients use them: 0 lost, 0 duplicated, 0 revived`, {
      timeout: 300_000,
    }, async () => {
      const fixture = await open();
      const servers: Array<() => Promise<void>> = [];
      try {
        // Up to 96 operations in flight on a machine other jobs share: the counts are what this
        // test is about, so no store call may fail for lack of CPU (timeouts are tested elsewhere).
        const { legacy, sess } = await fixture.open({ operationTimeoutMs: 30_000 });
        const sids = Array.from({ length: SESSIONS }, newSid);
        await each([...sids.keys()], 64, (i) =>
          legacySet(legacy, sids[i] as string, sessionOf({ tag: i, n: 0 })),
        );

        const store = new SessStore(sess, { migrateFrom: legacy, legacyTimeoutMs: 30_000 });
        const app = express();
        app.use(
          session({
            store,
            secret: SECRET,
            resave: false,
            saveUninitialized: false,
            cookie: { maxAge: HOUR },
          }),
        );
        app.get('/visit', (req, res) => {
          if (req.session.tag === undefined) return void res.json({ fresh: true });
          req.session.n = (req.session.n ?? 0) + 1;
          res.json({ tag: req.session.tag, n: req.session.n });
        });
        app.post('/logout', (req, res, next) => {
          req.session.destroy((error) => (error ? next(error) : res.json({ ok: true })));
        });
        const failures: string[] = [];
        const onError: ErrorRequestHandler = (error, _req, res, _next) => {
          failures.push(String((error as { code?: string }).code ?? error));
          res.status(500).json({ error: true });
        };
        app.use(onError);
        const http = await listen(app);
        servers.push(http.close);

        const count = { lost: 0, duplicated: 0, revived: 0, requests: 0 };
        const expected = new Array<number>(SESSIONS).fill(0);
        const loggedOut = new Array<boolean>(SESSIONS).fill(false);
        const gone = new Array<boolean>(SESSIONS).fill(false);
        const cookies = sids.map(
          (sid) => `connect.sid=${encodeURIComponent(`s:${sign(sid, SECRET)}`)}`,
        );
        const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
        servers.push(async () => agent.destroy());
        const send = async (i: number, path: string, method: string) => {
          count.requests++;
          const { status, body } = await call(
            agent,
            `${http.url}${path}`,
            method,
            cookies[i] as string,
          );
          if (status !== 200) failures.push(`HTTP ${status}`);
          return body;
        };
        const logout = async (i: number) => {
          await send(i, '/logout', 'POST');
          loggedOut[i] = true;
        };
        const visit = async (i: number) => {
          const seen = await send(i, '/visit', 'GET');
          if (loggedOut[i]) {
            if (!seen.fresh) count.revived++;
            return;
          }
          if (seen.fresh || seen.tag !== i) {
            count.lost++;
            gone[i] = true;
            return;
          }
          const n = seen.n ?? 0;
          if (n <= (expected[i] as number)) count.duplicated++;
          else if (n !== (expected[i] as number) + 1) count.lost++;
          expected[i] = n;
        };

        let migrating = true;
        const progress: MigrationProgress[] = [];
        const pass = store
          .migrateAll({
            ...(fixture.lists ? {} : { ids: await fixture.ids(legacy) }),
            concurrency: 32,
            progressEvery: 2500,
            onProgress: (p) => progress.push(p),
          })
          .finally(() => {
            migrating = false;
          });

        // Every client goes round its sessions until the pass has finished.
        let rounds = 0;
        const client = async (c: number) => {
          const mine = [...sids.keys()].filter((i) => i % CLIENTS === c);
          for (let round = 0; ; round++) {
            for (const i of mine) {
              if (gone[i]) continue;
              // Some log out before their first visit (racing the pass), some just after it.
              if (round === 0 && i % 20 === 0) await logout(i);
              await visit(i);
              if (round === 0 && i % 20 === 10) await logout(i);
            }
            rounds = Math.max(rounds, round + 1);
            if (!migrating) return;
          }
        };
        await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
        const report = await pass;

        // What the stores hold at the end, and the last count each session saw.
        const inSess = new Set(await store.ids());
        const inLegacy = new Set(await fixture.ids(legacy));
        const counts = new Map(
          (await store.all()).map((s) => [(s as unknown as { id: string }).id, s.n]),
        );
        for (const [i, sid] of sids.entries()) {
          if (loggedOut[i]) {
            if (inSess.has(sid) || inLegacy.has(sid)) count.revived++;
          } else if (!gone[i]) {
            if (!inSess.has(sid) || counts.get(sid) !== expected[i]) count.lost++;
            if (inLegacy.has(sid)) count.duplicated++;
          }
        }
        const live = [...sids.keys()].filter((i) => !loggedOut[i] && !gone[i]);

        const stats = store.migrationStats();
        console.log(
          `${label}: ${SESSIONS} sessions, ${CLIENTS} clients, ${count.requests} requests in ${rounds} rounds; ` +
            `moved by migrateAll ${report.migrated}, by reads ${stats.migrated - report.migrated}, ` +
            `logged out ${loggedOut.filter(Boolean).length}: ` +
            `${count.lost} lost, ${count.duplicated} duplicated, ${count.revived} revived`,
        );
        assert.deepEqual(failures.slice(0, 5), [], `${failures.length} requests failed`);
        assert.deepEqual(
          { lost: count.lost, duplicated: count.duplicated, revived: count.revived },
          { lost: 0, duplicated: 0, revived: 0 },
        );
        assert.equal(report.failed, 0);
        assert.equal(progress.at(-1)?.done, true);
        // Everything that was not logged out moved, by a read or by the pass.
        assert.ok(stats.migrated >= live.length, `${stats.migrated} moved of ${live.length}`);
      } finally {
        for (const close of servers) await close();
        await fixture.close();
      }
    });
  });
}
