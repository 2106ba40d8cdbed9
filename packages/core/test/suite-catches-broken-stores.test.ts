import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { type ConformanceGroupName, conformanceGroups } from '../src/conformance/index.js';
import { brokenStores } from './support/broken-stores.js';
import { runSuite } from './support/collect.js';

function groupOf(testName: string): ConformanceGroupName {
  const entry = Object.entries(conformanceGroups).find(([, tests]) => testName in tests);
  assert.ok(entry, `no group holds "${testName}"`);
  return entry[0] as ConformanceGroupName;
}

describe('the conformance suite fails every broken store', () => {
  it('has at least 12 broken stores, each caught by a different flaw', () => {
    assert.ok(brokenStores.length >= 12);
    assert.equal(new Set(brokenStores.map((b) => b.flaw)).size, brokenStores.length);
  });

  for (const { flaw, caughtBy, options } of brokenStores) {
    it(`${flaw}: fails "${caughtBy}"`, async () => {
      const outcomes = await runSuite({ ...options, groups: [groupOf(caughtBy)] });
      const outcome = outcomes.find((o) => o.name === caughtBy);
      assert.equal(outcome?.status, 'failed', `the suite did not catch: ${flaw}`);
    });
  }
});
