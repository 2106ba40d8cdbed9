import { describe } from 'vitest';
import { commitRules } from './commit.suite.js';
import { conflictRules } from './conflicts.suite.js';
import { expiryRules } from './expiry.suite.js';
import { type LifecycleStoreFactory, ruleFor, type TestFunction } from './harness.js';
import { rotationRules } from './rotation.suite.js';
import { tokenRules } from './tokens.suite.js';
import { userRules } from './users.suite.js';

export type { LifecycleStoreFactory, StoreHandle } from './harness.js';

/**
 * Every rule of the session lifecycle, against the store `createStore`
 * opens (a fresh one per test, in its own namespace). Core runs it against
 * MemoryStore; an adapter's tests run it against their real server:
 *
 *   sessionLifecycleSuite({ name: 'RedisStore', test: it,
 *     createStore: ({ namespace }) => ({ store: new RedisStore({ client, prefix: namespace }) }) });
 */
export function sessionLifecycleSuite(options: {
  readonly name: string;
  readonly test: TestFunction;
  readonly createStore: LifecycleStoreFactory;
}): void {
  const rule = ruleFor(options.createStore, options.test);
  describe(`session lifecycle on ${options.name}`, () => {
    describe('tokens', () => tokenRules(rule));
    describe('commit', () => commitRules(rule));
    describe('expiry', () => expiryRules(rule));
    describe('rotation and logout', () => rotationRules(rule));
    describe('conflicts', () => conflictRules(rule));
    describe('users', () => userRules(rule));
  });
}
