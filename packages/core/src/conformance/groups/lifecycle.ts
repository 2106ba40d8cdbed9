import { defineTests } from './define.js';

export const lifecycleTests = defineTests({
  'close: is idempotent': {
    async run(t) {
      await t.store.close();
      await t.store.close();
    },
  },
});
