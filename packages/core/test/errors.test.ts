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
