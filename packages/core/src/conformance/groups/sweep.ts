import assert from 'node:assert/strict';
import { expectOk } from '../assert.js';
import { defineTests } from './define.js';

export const sweepTests = defineTests({
  'clearExpired: removes exactly the expired records and returns how many': {
    requires: ['sweep'],
    async run(t) {
      const clock = t.clock ?? assert.fail('this test needs the injected clock');
      const live = Array.from({ length: 10 }, () => t.newId());
      const dying = Array.from({ length: 7 }, () => t.newId());
      await Promise.all([
        ...live.map(async (id) =>
          expectOk(await t.store.create(id, t.record('live', 'u')), 'create'),
        ),
        ...dying.map(async (id) =>
          expectOk(
            await t.store.create(id, { data: 'dying', expiresAt: t.expiresIn(1_000), userId: 'u' }),
            'create',
          ),
        ),
      ]);
      clock.advance(1_000);
      assert.equal(
        await t.store.clearExpired?.(),
        7,
        'clearExpired() of 7 expired records among live ones',
      );
      assert.equal(await t.store.clearExpired?.(), 0, 'a second sweep found more');
      for (const id of live) {
        assert.equal((await t.store.get(id))?.data, 'live', 'clearExpired() removed a live record');
      }
      // Swept ids are free again.
      for (const id of dying)
        expectOk(await t.store.create(id, t.record('again')), 'create after sweep');
    },
  },
  'clearExpired: an empty store sweeps nothing': {
    requires: ['sweep'],
    async run(t) {
      assert.equal(await t.store.clearExpired?.(), 0, 'clearExpired() with nothing expired');
    },
  },
});
