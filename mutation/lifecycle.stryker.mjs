import { scope } from './stryker.common.mjs';

/** The session lifecycle against core's session tests and the session suite on MemoryStore. */
export default scope('lifecycle', {
  mutate: ['packages/core/src/session/{manager,policy,session,token,user-sessions}.ts'],
  vitest: { configFile: 'mutation/vitest.lifecycle.ts', related: false },
});
