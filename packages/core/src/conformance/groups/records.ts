import assert from 'node:assert/strict';
import type { SessionRecord } from '../../contract.js';
import { expectOk, rejectsWithCode } from '../assert.js';
import { defineTests } from './define.js';

export const recordTests = defineTests({
  'records: data that is not a string is rejected with InvalidRecordError': {
    async run(t) {
      const id = t.newId();
      const version = expectOk(await t.store.create(id, t.record('kept')), 'create');
      for (const data of [undefined, null, 42, { a: 1 }, ['x'], Buffer.from('x')]) {
        const record = { ...t.record(), data } as unknown as SessionRecord;
        await rejectsWithCode(
          () => t.store.create(t.newId(), record),
          'SESS_INVALID_RECORD',
          `create(data ${typeof data})`,
        );
        await rejectsWithCode(
          () => t.store.update(id, record),
          'SESS_INVALID_RECORD',
          `update(data ${typeof data})`,
        );
      }
      assert.equal((await t.store.get(id))?.version, version, 'a refused write changed the record');
    },
  },
  'records: an expiry that is not an integer of epoch ms is rejected with InvalidRecordError': {
    async run(t) {
      const id = t.newId();
      expectOk(await t.store.create(id, t.record('kept')), 'create');
      const future = t.expiresIn(60_000);
      for (const expiresAt of [
        Number.NaN,
        Number.POSITIVE_INFINITY,
        future + 0.5,
        String(future),
        undefined,
      ]) {
        const record = { ...t.record(), expiresAt } as unknown as SessionRecord;
        const label = String(expiresAt);
        await rejectsWithCode(
          () => t.store.create(t.newId(), record),
          'SESS_INVALID_RECORD',
          `create(expiresAt ${label})`,
        );
        await rejectsWithCode(
          () => t.store.update(id, record),
          'SESS_INVALID_RECORD',
          `update(expiresAt ${label})`,
        );
        await rejectsWithCode(
          () => t.store.touch(id, expiresAt as number),
          'SESS_INVALID_RECORD',
          `touch(${label})`,
        );
      }
      assert.equal((await t.store.get(id))?.data, 'kept');
    },
  },
  'records: an expiry in the past is rejected with InvalidRecordError and changes nothing': {
    async run(t) {
      const id = t.newId();
      const record = t.record('kept');
      const version = expectOk(await t.store.create(id, record), 'create');
      const past = t.now() - 60_000;
      await rejectsWithCode(
        () => t.store.create(t.newId(), { ...record, expiresAt: past }),
        'SESS_INVALID_RECORD',
        'create in the past',
      );
      await rejectsWithCode(
        () => t.store.update(id, { ...record, data: 'changed', expiresAt: past }),
        'SESS_INVALID_RECORD',
        'update in the past',
      );
      await rejectsWithCode(
        () => t.store.touch(id, past),
        'SESS_INVALID_RECORD',
        'touch in the past',
      );
      const after = await t.store.get(id);
      assert.equal(after?.data, 'kept');
      assert.equal(after?.version, version, 'a refused write changed the version');
    },
  },
});
