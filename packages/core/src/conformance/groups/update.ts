import assert from 'node:assert/strict';
import { concurrently, expectOk, expectRecord, expectRefused } from '../assert.js';
import { defineTests } from './define.js';

export const updateTests = defineTests({
  'update: a missing id gives missing and writes nothing': {
    async run(t) {
      const id = t.newId();
      expectRefused(await t.store.update(id, t.record()), 'missing', 'update');
      expectRefused(
        await t.store.update(id, t.record(), { ifVersion: '1' }),
        'missing',
        'update with ifVersion',
      );
      assert.equal(await t.store.get(id), null, 'update of a missing id wrote a record');
    },
  },
  'update: replaces data, expiry and userId and returns a new version': {
    async run(t) {
      const id = t.newId();
      const before = expectOk(await t.store.create(id, t.record('old', 'user-a')), 'create');
      const next = { data: 'new', expiresAt: t.expiresIn(7_200_000), userId: 'user-b' };
      const after = expectOk(await t.store.update(id, next), 'update');
      assert.notEqual(after, before, 'update kept the old version');
      expectRecord(
        await t.store.get(id),
        { ...next, version: after },
        t.capabilities.ttlResolutionMs,
        'get',
      );
    },
  },
  'update: without a userId the record no longer has one': {
    async run(t) {
      const id = t.newId();
      expectOk(await t.store.create(id, t.record('a', 'user-a')), 'create');
      expectOk(await t.store.update(id, t.record('b')), 'update');
      assert.equal(
        (await t.store.get(id))?.userId,
        undefined,
        'the old userId survived the update',
      );
    },
  },
  'update: a matching ifVersion writes; a stale one gives conflict and writes nothing': {
    async run(t) {
      const id = t.newId();
      const v1 = expectOk(await t.store.create(id, t.record('v1')), 'create');
      const v2 = expectOk(
        await t.store.update(id, t.record('v2'), { ifVersion: v1 }),
        'update at v1',
      );
      expectRefused(
        await t.store.update(id, t.record('stale'), { ifVersion: v1 }),
        'conflict',
        'update at stale v1',
      );
      expectRefused(
        await t.store.update(id, t.record('bogus'), { ifVersion: `${v2}-not-a-version` }),
        'conflict',
        'update at an unknown version',
      );
      const read = await t.store.get(id);
      assert.equal(read?.data, 'v2', 'a refused update changed the data');
      assert.equal(read?.version, v2, 'a refused update changed the version');
    },
  },
  'update: a wrong ifVersion gives conflict at every version, the first one included': {
    async run(t) {
      const id = t.newId();
      const v1 = expectOk(await t.store.create(id, t.record('v1')), 'create');
      expectRefused(
        await t.store.update(id, t.record('wrong'), { ifVersion: `${v1}x` }),
        'conflict',
        'update of a just-created record with a wrong ifVersion',
      );
      assert.equal((await t.store.get(id))?.version, v1, 'a refused update changed the record');
      let current = v1;
      for (let i = 2; i <= 3; i++) {
        current = expectOk(
          await t.store.update(id, t.record(`v${i}`), { ifVersion: current }),
          `update at version ${i - 1}`,
        );
        expectRefused(
          await t.store.update(id, t.record('wrong'), { ifVersion: v1 }),
          'conflict',
          `update at the first version, now that the record is at version ${i}`,
        );
      }
      const read = await t.store.get(id);
      assert.equal(read?.data, 'v3', 'a refused update changed the data');
      assert.equal(read?.version, current, 'a refused update changed the version');
    },
  },
  'update: never revives a destroyed record': {
    async run(t) {
      const id = t.newId();
      const version = expectOk(await t.store.create(id, t.record('live')), 'create');
      await t.store.destroy(id);
      expectRefused(await t.store.update(id, t.record('revived')), 'missing', 'update');
      expectRefused(
        await t.store.update(id, t.record('revived'), { ifVersion: version }),
        'missing',
        'update at the old version',
      );
      assert.equal(await t.store.get(id), null, 'update revived a destroyed record');
    },
  },
  'update: never revives an expired record': {
    async run(t) {
      const id = t.newId();
      await t.createExpired(id, { data: 'old' });
      expectRefused(await t.store.update(id, t.record('revived')), 'missing', 'update');
      assert.equal(await t.store.get(id), null, 'update revived an expired record');
    },
  },
  'update: of 50 concurrent updates with the same ifVersion exactly one succeeds': {
    async run(t) {
      const id = t.newId();
      const base = expectOk(await t.store.create(id, t.record('base')), 'create');
      const results = await concurrently(50, (i) =>
        t.store.update(id, t.record(`writer ${i}`), { ifVersion: base }),
      );
      const winners = results.flatMap((r, i) => (r.ok ? [{ i, version: r.version }] : []));
      assert.equal(winners.length, 1, `${winners.length} updates reported ok`);
      for (const r of results) {
        if (!r.ok) assert.equal(r.reason, 'conflict', 'a losing update must give conflict');
      }
      const read = await t.store.get(id);
      assert.equal(read?.data, `writer ${winners[0]?.i}`, 'the stored record is not the winner’s');
      assert.equal(read?.version, winners[0]?.version, 'the stored version is not the winner’s');
    },
  },
  'update: every successful write yields a new version and the new expiry': {
    async run(t) {
      const id = t.newId();
      const seen = new Set([expectOk(await t.store.create(id, t.record('0')), 'create')]);
      let version = [...seen][0] as string;
      for (let i = 1; i <= 20; i++) {
        const next = { data: String(i), expiresAt: t.expiresIn(3_600_000 + i * 60_000) };
        version = expectOk(await t.store.update(id, next, { ifVersion: version }), `update ${i}`);
        assert.ok(!seen.has(version), `update ${i} reused version ${version}`);
        seen.add(version);
        expectRecord(
          await t.store.get(id),
          { ...next, version },
          t.capabilities.ttlResolutionMs,
          `get ${i}`,
        );
      }
    },
  },
});
