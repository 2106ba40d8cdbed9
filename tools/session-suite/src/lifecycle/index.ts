import { describe } from 'vitest';
import { commitRules } from './commit.js';
import { conflictRules } from './conflicts.js';
import { expiryRules } from './expiry.js';
import { flashRules } from './flash.js';
import { type LifecycleSuiteOptions, ruleFor } from './harness.js';
import { lifetimeRules } from './lifetime.js';
import { rotationRules } from './rotation.js';
import { tokenRules } from './tokens.js';
import { userRules } from './users.js';

export type { LifecycleStoreFactory, LifecycleSuiteOptions, StoreHandle } from './harness.js';

/**
 * Every rule of the session lifecycle (`SessionManager` of `@sess/core`),
 * against the store `createStore` opens: a fresh one per test, in its own
 * namespace. A store that expires by sweeping runs on a clock the suite
 * moves by hand; one with native expiry runs on real time.
 *
 * @example
 * sessionLifecycleSuite({
 *   name: 'RedisStore',
 *   test: it.concurrent,
 *   createStore: ({ namespace }) => ({ store: new RedisStore({ client, prefix: `${namespace}:` }) }),
 * });
 */
export function sessionLifecycleSuite(options: LifecycleSuiteOptions): void {
  const rule = ruleFor(options.createStore, options.test);
  describe(`session lifecycle on ${options.name}`, () => {
    describe('tokens', () => tokenRules(rule));
    describe('commit', () => commitRules(rule));
    describe('expiry', () => expiryRules(rule));
    describe('rotation and logout', () => rotationRules(rule));
    describe('lifetime per session', () => lifetimeRules(rule));
    describe('conflicts', () => conflictRules(rule));
    describe('flash', () => flashRules(rule));
    describe('users', () => userRules(rule));
  });
}
