import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import * as root from '../src/index.js';
import * as kit from '../src/store-kit/index.js';

describe('the two entry points', () => {
  it('the root holds the application API and the errors, none of the store helpers', () => {
    assert.deepEqual(Object.keys(root).sort(), [
      'CorruptRecordError',
      'ExpiryPolicy',
      'InvalidOptionError',
      'InvalidRecordError',
      'InvalidSessionIdError',
      'InvalidUserIdError',
      'MemoryStore',
      'PayloadTooLargeError',
      'SchemaMissingError',
      'Session',
      'SessionConflictError',
      'SessionDataError',
      'SessionManager',
      'SessionStoreError',
      'StoreUnavailableError',
      'TAGGED_JSON_FORMAT',
      'UnsupportedOperationError',
      'createSessionCodec',
      'defaultSessionCodec',
      'isSessionStoreError',
      'readEnvelope',
      'sessChannels',
      'sessionIdOf',
    ]);
  });

  it('the kit holds the store helpers and nothing of the application API', () => {
    for (const name of Object.keys(kit)) assert.ok(!(name in root), `${name} is in both`);
  });
});

describe('validators', () => {
  it('never echo an invalid id', () => {
    const secret = 'token-that-must-not-leak/..';
    assert.throws(
      () => kit.assertSessionId(secret),
      (error: Error) =>
        error instanceof root.InvalidSessionIdError && !error.message.includes(secret),
    );
  });

  it('checkUpdateOptions returns ifVersion and refuses one that is not a string', () => {
    assert.equal(kit.checkUpdateOptions(undefined), undefined);
    assert.equal(kit.checkUpdateOptions({}), undefined);
    assert.equal(kit.checkUpdateOptions({ ifVersion: 'v1' }), 'v1');
    for (const bad of [{ ifVersion: 1 }, { ifVersion: null }, null, 'v1']) {
      assert.throws(() => kit.checkUpdateOptions(bad as never), { code: 'SESS_INVALID_OPTION' });
    }
  });

  it('checkDestroyByUser returns except after checking both ids', () => {
    assert.equal(kit.checkDestroyByUser('alice', undefined), undefined);
    assert.equal(kit.checkDestroyByUser('alice', { except: 'abc' }), 'abc');
    assert.throws(() => kit.checkDestroyByUser('', undefined), { code: 'SESS_INVALID_USER_ID' });
    assert.throws(() => kit.checkDestroyByUser('alice', { except: 'a/b' }), {
      code: 'SESS_INVALID_ID',
    });
  });

  it('checkListOptions returns the page size, capped', () => {
    const defaults = { limit: 100, maxLimit: 1000 };
    assert.equal(kit.checkListOptions(undefined, defaults), 100);
    assert.equal(kit.checkListOptions({ limit: 5 }, defaults), 5);
    assert.equal(kit.checkListOptions({ limit: 5000 }, defaults), 1000);
    assert.throws(() => kit.checkListOptions({ limit: 0 }, defaults), {
      code: 'SESS_INVALID_OPTION',
    });
  });
});

describe('resolveCommonOptions', () => {
  it('fills in the defaults every store shares', () => {
    const { operationTimeoutMs, maxPayloadBytes, now } = kit.resolveCommonOptions({});
    assert.equal(operationTimeoutMs, 2000);
    assert.equal(maxPayloadBytes, 1024 * 1024);
    assert.equal(now, kit.systemClock);
  });

  it('keeps what was given', () => {
    const clock = () => 42;
    assert.deepEqual(
      kit.resolveCommonOptions({ operationTimeoutMs: 1, maxPayloadBytes: 10, now: clock }),
      { operationTimeoutMs: 1, maxPayloadBytes: 10, now: clock },
    );
  });

  it('holds operationTimeoutMs to an integer a timer can wait', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '100']) {
      assert.throws(() => kit.resolveCommonOptions({ operationTimeoutMs: bad as number }), {
        code: 'SESS_INVALID_OPTION',
        message: /operationTimeoutMs/,
      });
    }
    assert.equal(
      kit.resolveCommonOptions({ operationTimeoutMs: 2 ** 31 - 1 }).operationTimeoutMs,
      2 ** 31 - 1,
    );
  });

  it('holds maxPayloadBytes to an integer within the store’s limit', () => {
    for (const bad of [0, 1.5, Number.NaN, 101]) {
      assert.throws(
        () => kit.resolveCommonOptions({ maxPayloadBytes: bad }, { maxPayloadLimit: 100 }),
        { code: 'SESS_INVALID_OPTION', message: /maxPayloadBytes/ },
      );
    }
    assert.equal(
      kit.resolveCommonOptions({ maxPayloadBytes: 100 }, { maxPayloadLimit: 100 }).maxPayloadBytes,
      100,
    );
  });

  it('refuses a clock that is not a function', () => {
    assert.throws(() => kit.resolveCommonOptions({ now: 5 as never }), {
      code: 'SESS_INVALID_OPTION',
      message: /now/,
    });
  });
});

describe('refused', () => {
  it('holds the three refusals, frozen', () => {
    assert.deepEqual(kit.refused.exists, { ok: false, reason: 'exists' });
    assert.deepEqual(kit.refused.missing, { ok: false, reason: 'missing' });
    assert.deepEqual(kit.refused.conflict, { ok: false, reason: 'conflict' });
    assert.ok(Object.isFrozen(kit.refused));
    for (const refusal of Object.values(kit.refused)) assert.ok(Object.isFrozen(refusal));
  });
});

describe('withTimeout', () => {
  it('turns a call that does not answer into StoreUnavailableError', async () => {
    await assert.rejects(kit.withTimeout(new Promise(() => {}), 50, 'a dead backend'), {
      code: 'SESS_STORE_UNAVAILABLE',
      message: /a dead backend did not answer within 50 ms/,
    });
  });

  it('wraps a driver failure, keeps it as the cause, and lets sess errors through', async () => {
    const driverError = new Error('READONLY You cannot write against a read only replica');
    await assert.rejects(
      kit.withTimeout(Promise.reject(driverError), 50, 'redis SET'),
      (error: Error) => {
        assert.ok(error instanceof root.StoreUnavailableError);
        assert.equal(error.cause, driverError);
        return true;
      },
    );
    const own = new root.PayloadTooLargeError(2, 1);
    await assert.rejects(kit.withTimeout(Promise.reject(own), 50, 'x'), (error) => error === own);
  });

  it('leaves no unhandled rejection when the call fails after the timeout', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      let fail!: (error: Error) => void;
      const late = new Promise((_, reject) => {
        fail = reject;
      });
      await assert.rejects(kit.withTimeout(late, 5, 'slow'), { code: 'SESS_STORE_UNAVAILABLE' });
      fail(new Error('late'));
      // Node reports unhandled rejections once the microtasks of a turn have run.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});
