import assert from 'node:assert/strict';
import { expectOk, rejectsWithCode } from '../assert.js';
import { defineTests } from './define.js';

export const payloadTests = defineTests({
  'payload: over maxPayloadBytes is rejected with PayloadTooLargeError and the old record stays': {
    async run(t) {
      const limit = t.capabilities.maxPayloadBytes;
      const id = t.newId();
      const version = expectOk(await t.store.create(id, t.record('small')), 'create');
      const tooBig = 'x'.repeat(limit + 1);
      await rejectsWithCode(
        () => t.store.update(id, t.record(tooBig)),
        'SESS_PAYLOAD_TOO_LARGE',
        'update',
      );
      await rejectsWithCode(
        () => t.store.update(id, t.record(tooBig), { ifVersion: version }),
        'SESS_PAYLOAD_TOO_LARGE',
        'update with ifVersion',
      );
      const fresh = t.newId();
      await rejectsWithCode(
        () => t.store.create(fresh, t.record(tooBig)),
        'SESS_PAYLOAD_TOO_LARGE',
        'create',
      );
      const read = await t.store.get(id);
      assert.equal(read?.data, 'small', 'the old record was changed');
      assert.equal(read?.version, version, 'the old record was changed');
      assert.equal(await t.store.get(fresh), null, 'a rejected create wrote a record');
    },
  },
  'payload: size is counted in UTF-8 bytes': {
    async run(t) {
      const limit = t.capabilities.maxPayloadBytes;
      // 'é' is one UTF-16 unit but two UTF-8 bytes; '\u{1F600}' is two units and four bytes.
      const exact = 'é'.repeat(Math.floor(limit / 2)) + 'x'.repeat(limit % 2);
      const over = '\u{1F600}'.repeat(Math.floor(limit / 4) + 1);
      const id = t.newId();
      expectOk(await t.store.create(id, t.record(exact)), 'create at the limit');
      assert.ok((await t.store.get(id))?.data === exact, 'the payload came back altered');
      await rejectsWithCode(
        () => t.store.create(t.newId(), t.record(over)),
        'SESS_PAYLOAD_TOO_LARGE',
        'create over',
      );
    },
  },
});
