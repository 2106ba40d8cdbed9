import { expectOk, rejectsWithCode } from '../assert.js';
import { defineTests } from './define.js';
import { everyOperation } from './operations.js';

export const lifecycleTests = defineTests({
  'close: is idempotent': {
    async run(t) {
      await t.store.close();
      await t.store.close();
    },
  },
  'close: a closed store rejects every operation with StoreUnavailableError': {
    async run(t) {
      const id = t.newId();
      expectOk(await t.store.create(id, t.record()), 'create before close()');
      await t.store.close();
      for (const [name, call] of everyOperation(t, id)) {
        await rejectsWithCode(call, 'SESS_STORE_UNAVAILABLE', `${name} after close()`);
      }
    },
  },
});
