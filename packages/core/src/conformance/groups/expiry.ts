import assert from 'node:assert/strict';
import { expectOk, rejectsWithCode } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { sleep } from '../timing.js';
import { defineTests } from './define.js';

const DAY = 86_400_000;

/** What a store that fails the clock tests usually got wrong. */
const CLOCK_HINT = ' (does the store read time from the `now` it was given?)';

function clockOf(t: ConformanceContext) {
  assert.ok(t.clock, 'this test needs the injected clock');
  return t.clock;
}

/**
 * Watches a record in real time until it disappears. It must stay readable
 * until `expiresAt - resolution` and be gone by `expiresAt + resolution`
 * (both widened by the slack), and once gone it stays gone.
 */
async function watchExpiry(t: ConformanceContext, id: string, expiresAt: number): Promise<void> {
  const resolution = t.capabilities.ttlResolutionMs;
  const slack = t.timing.slackMs * t.timing.scale;
  const mustLiveUntil = expiresAt - resolution - slack;
  const mustBeGoneBy = expiresAt + resolution + slack;
  for (;;) {
    const checkedAt = Date.now();
    const live = (await t.store.get(id)) !== null;
    if (!live) {
      assert.ok(
        checkedAt >= mustLiveUntil,
        `the record vanished ${expiresAt - checkedAt} ms early`,
      );
      break;
    }
    assert.ok(
      Date.now() <= mustBeGoneBy,
      `the record outlived its expiry by ${Date.now() - expiresAt} ms`,
    );
    await sleep(20);
  }
  await sleep(50);
  assert.equal(await t.store.get(id), null, 'an expired record came back');
}

export const expiryTests = defineTests({
  'expiry (clock): a record is live until just before expiresAt and gone at expiresAt': {
    requires: ['sweep'],
    async run(t) {
      const clock = clockOf(t);
      const id = t.newId();
      const expiresAt = t.expiresIn(10_000);
      expectOk(await t.store.create(id, { data: 'x', expiresAt }), 'create');
      clock.advance(9_999);
      assert.notEqual(await t.store.get(id), null, `gone 1 ms before its expiry${CLOCK_HINT}`);
      clock.advance(1);
      assert.equal(await t.store.get(id), null, `still there at its expiry${CLOCK_HINT}`);
    },
  },
  'expiry (clock): an expiry equal to now is rejected with InvalidRecordError': {
    requires: ['sweep'],
    async run(t) {
      const id = t.newId();
      expectOk(await t.store.create(id, t.record('kept')), 'create');
      const now = t.now();
      await rejectsWithCode(
        () => t.store.create(t.newId(), { data: 'x', expiresAt: now }),
        'SESS_INVALID_RECORD',
        'create',
      );
      await rejectsWithCode(
        () => t.store.update(id, { data: 'x', expiresAt: now }),
        'SESS_INVALID_RECORD',
        'update',
      );
      await rejectsWithCode(() => t.store.touch(id, now), 'SESS_INVALID_RECORD', 'touch');
      assert.equal((await t.store.get(id))?.data, 'kept');
    },
  },
  'expiry (clock): touch keeps a record alive past its old expiry': {
    requires: ['sweep'],
    async run(t) {
      const clock = clockOf(t);
      const id = t.newId();
      expectOk(await t.store.create(id, { data: 'x', expiresAt: t.expiresIn(1_000) }), 'create');
      assert.equal(await t.store.touch(id, t.expiresIn(60_000)), true, 'touch of a live record');
      clock.advance(30_000);
      assert.equal(
        (await t.store.get(id))?.data,
        'x',
        `gone at its old expiry after a touch moved it${CLOCK_HINT}`,
      );
      clock.advance(30_000);
      assert.equal(await t.store.get(id), null, `still there after its new expiry${CLOCK_HINT}`);
    },
  },
  'expiry (clock): a 31-day expiry stays alive until it is due': {
    requires: ['sweep'],
    async run(t) {
      const clock = clockOf(t);
      const id = t.newId();
      expectOk(await t.store.create(id, { data: 'x', expiresAt: t.expiresIn(31 * DAY) }), 'create');
      clock.advance(30 * DAY);
      assert.equal((await t.store.get(id))?.data, 'x', `gone after 30 of 31 days${CLOCK_HINT}`);
      clock.advance(DAY);
      assert.equal(await t.store.get(id), null, `alive after 31 days${CLOCK_HINT}`);
    },
  },
  'expiry (real time): a record expires on time, within ttlResolutionMs': {
    realTime: true,
    async run(t) {
      const id = t.newId();
      const lifeMs = t.timing.scale * (2 * t.capabilities.ttlResolutionMs + 300);
      const expiresAt = Date.now() + lifeMs;
      expectOk(await t.store.create(id, { data: 'x', expiresAt }), 'create');
      await watchExpiry(t, id, expiresAt);
    },
  },
  'expiry (real time): touch moves the expiry': {
    realTime: true,
    async run(t) {
      const id = t.newId();
      const lifeMs = t.timing.scale * (2 * t.capabilities.ttlResolutionMs + 300);
      expectOk(await t.store.create(id, { data: 'x', expiresAt: Date.now() + lifeMs }), 'create');
      assert.equal(await t.store.touch(id, Date.now() + 3_600_000), true, 'touch of a live record');
      await sleep(lifeMs + t.capabilities.ttlResolutionMs + t.timing.slackMs * t.timing.scale);
      assert.equal(
        (await t.store.get(id))?.data,
        'x',
        'the touched record expired at its old time',
      );
      const shorter = Date.now() + lifeMs;
      assert.equal(await t.store.touch(id, shorter), true, 'touch back to a short life');
      await watchExpiry(t, id, shorter);
    },
  },
  'expiry (real time): a 31-day expiry stays alive': {
    realTime: true,
    async run(t) {
      const expiresAt = Date.now() + 31 * DAY;
      const [created, updated, touched] = [t.newId(), t.newId(), t.newId()];
      expectOk(await t.store.create(created, { data: 'created', expiresAt }), 'create');
      expectOk(await t.store.create(updated, t.record('before')), 'create');
      expectOk(await t.store.update(updated, { data: 'updated', expiresAt }), 'update');
      expectOk(await t.store.create(touched, t.record('touched')), 'create');
      assert.equal(await t.store.touch(touched, expiresAt), true, 'touch to 31 days');
      // Long enough for a backend with second resolution to have acted on a bad TTL.
      await sleep(t.timing.scale * (t.capabilities.ttlResolutionMs + 1_100));
      assert.equal((await t.store.get(created))?.data, 'created', 'created with 31 days: gone');
      assert.equal((await t.store.get(updated))?.data, 'updated', 'updated to 31 days: gone');
      assert.equal((await t.store.get(touched))?.data, 'touched', 'touched to 31 days: gone');
    },
  },
});
