import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { type ConformanceOptions, runStoreConformance } from '../src/conformance/index.js';
import { MemoryStore } from '../src/index.js';

const createStore = () => ({ store: new MemoryStore() });
const noop = () => {};

describe('runStoreConformance checks its own options', () => {
  it('needs a test function and a store factory', () => {
    assert.throws(() => runStoreConformance({ createStore } as unknown as ConformanceOptions), {
      code: 'SESS_INVALID_OPTION',
      message: /needs `test`/,
    });
    assert.throws(() => runStoreConformance({ test: noop } as unknown as ConformanceOptions), {
      code: 'SESS_INVALID_OPTION',
      message: /needs `createStore/,
    });
  });

  it('says that capabilities belong to the store', () => {
    const options = { test: noop, createStore, capabilities: { list: true } } as ConformanceOptions;
    assert.throws(() => runStoreConformance(options), /read from store.capabilities/);
  });

  it('rejects a skip that names no test', () => {
    assert.throws(
      () =>
        runStoreConformance({
          test: noop,
          createStore,
          // @ts-expect-error: skip keys are the suite's test names
          skip: { 'create: never overwrite a live record': 'typo' },
        }),
      /unknown test/,
    );
  });

  it('registers one test per rule, and a named skip with its reason', () => {
    const names: string[] = [];
    const test = (name: string) => {
      names.push(name);
    };
    test.skip = (name: string) => {
      names.push(`SKIP ${name}`);
    };
    runStoreConformance({
      test,
      createStore,
      skip: { 'create: never overwrites a live record': 'shown with its reason' },
      groups: ['create'],
    });
    assert.deepEqual(names, [
      'SKIP create: never overwrites a live record (skipped: shown with its reason)',
      'create (clock): a record with 1 ms left is live: create gives exists',
      'create: replaces an expired record',
      'create: after destroy it succeeds with a new version',
      'create: of 50 concurrent creates of one id exactly one succeeds',
    ]);
  });
});
