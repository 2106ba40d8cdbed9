import assert from 'node:assert/strict';
import { concurrently, expectOk, expectRecord, expectRefused } from '../assert.js';
import { defineTests } from './define.js';

export const createTests = defineTests({
  'create: never overwrites a live record': {
    async run(t) {
      const id = t.newId();
      const first = t.record('first', 'user-a');
      const version = expectOk(await t.store.create(id, first), 'first create');
      expectRefused(
        await t.store.create(id, t.record('second', 'user-b')),
        'exists',
        'second create',
      );
      expectRecord(
        await t.store.get(id),
        { ...first, version },
        t.capabilities.ttlResolutionMs,
        'get',
      );
    },
  },
  'create (clock): a record with 1 ms left is live: create gives exists': {
    requires: ['sweep'],
    async run(t) {
      const clock = t.clock ?? assert.fail('this test needs the injected clock');
      const id = t.newId();
      const expiresAt = t.expiresIn(10_000);
      const version = expectOk(await t.store.create(id, { data: 'first', expiresAt }), 'create');
      clock.advance(9_999);
      expectRefused(
        await t.store.create(id, t.record('second')),
        'exists',
        'create 1 ms before the record expires',
      );
      const read = await t.store.get(id);
      assert.equal(read?.data, 'first', 'the live record was replaced');
      assert.equal(read?.version, version, 'the live record changed version');
      clock.advance(1);
      expectOk(await t.store.create(id, t.record('third')), 'create at the expiry');
    },
  },
  'create: replaces an expired record': {
    async run(t) {
      const id = t.newId();
      await t.createExpired(id, { data: 'old' });
      const version = expectOk(await t.store.create(id, t.record('new')), 'create over expired');
      const read = await t.store.get(id);
      assert.equal(read?.data, 'new', 'get after create over an expired record: data');
      assert.equal(read?.version, version, 'get after create over an expired record: version');
    },
  },
  'create: after destroy it succeeds with a new version': {
    async run(t) {
      const id = t.newId();
      const first = expectOk(await t.store.create(id, t.record('a')), 'create');
      await t.store.destroy(id);
      const second = expectOk(await t.store.create(id, t.record('b')), 'create after destroy');
      assert.notEqual(second, first, 'a re-created record must not reuse the old version');
    },
  },
  'create: of 50 concurrent creates of one id exactly one succeeds': {
    async run(t) {
      const id = t.newId();
      const results = await concurrently(50, (i) => t.store.create(id, t.record(`writer ${i}`)));
      const winners = results.flatMap((r, i) => (r.ok ? [{ i, version: r.version }] : []));
      assert.equal(winners.length, 1, `${winners.length} creates reported ok`);
      for (const r of results) {
        if (!r.ok) assert.equal(r.reason, 'exists', 'a losing create must give exists');
      }
      const read = await t.store.get(id);
      assert.equal(read?.data, `writer ${winners[0]?.i}`, 'the stored record is not the winner’s');
      assert.equal(read?.version, winners[0]?.version, 'the stored version is not the winner’s');
    },
  },
});
