import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import * as source from '../src/index.js';

describe('errors', () => {
  it('carry a stable code, their class name, and the cause', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new source.StoreUnavailableError('redis GET failed', { cause });
    assert.equal(error.code, 'SESS_STORE_UNAVAILABLE');
    assert.equal(error.name, 'StoreUnavailableError');
    assert.equal(error.cause, cause);
    assert.ok(error instanceof source.SessionStoreError);
    assert.ok(!(error instanceof source.InvalidSessionIdError));
  });

  it('never echo an invalid id', () => {
    const secret = 'token-that-must-not-leak/..';
    assert.throws(
      () => source.assertSessionId(secret),
      (error: Error) =>
        error instanceof source.InvalidSessionIdError && !error.message.includes(secret),
    );
  });

  it('match instanceof across the ESM and CommonJS builds', async () => {
    const dist = join(import.meta.dirname, '..', 'dist');
    const cjs = createRequire(import.meta.url)(join(dist, 'index.cjs')) as typeof source;
    const esm = (await import(join(dist, 'index.js'))) as typeof source;
    assert.notEqual(cjs.PayloadTooLargeError, esm.PayloadTooLargeError, 'two copies are loaded');
    const fromCjs = new cjs.PayloadTooLargeError(10, 5);
    assert.ok(fromCjs instanceof esm.PayloadTooLargeError);
    assert.ok(fromCjs instanceof esm.SessionStoreError);
    assert.ok(!(fromCjs instanceof esm.StoreUnavailableError));
    assert.ok(esm.isSessionStoreError(fromCjs));
    assert.ok(!esm.isSessionStoreError(new Error('plain')));
  });
});

describe('withTimeout', () => {
  it('turns a call that does not answer into StoreUnavailableError', async () => {
    const started = Date.now();
    await assert.rejects(source.withTimeout(new Promise(() => {}), 50, 'a dead backend'), {
      code: 'SESS_STORE_UNAVAILABLE',
      message: /a dead backend did not answer within 50 ms/,
    });
    assert.ok(Date.now() - started < 1_000);
  });

  it('wraps a driver failure, keeps it as the cause, and lets sess errors through', async () => {
    const driverError = new Error('READONLY You cannot write against a read only replica');
    await assert.rejects(
      source.withTimeout(Promise.reject(driverError), 50, 'redis SET'),
      (error: Error) => {
        assert.ok(error instanceof source.StoreUnavailableError);
        assert.equal(error.cause, driverError);
        return true;
      },
    );
    const own = new source.PayloadTooLargeError(2, 1);
    await assert.rejects(
      source.withTimeout(Promise.reject(own), 50, 'x'),
      (error) => error === own,
    );
  });

  it('leaves no unhandled rejection when the call fails after the timeout', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const late = new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 30));
      await assert.rejects(source.withTimeout(late, 5, 'slow'));
      await new Promise((resolve) => setTimeout(resolve, 60));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});
