import assert from 'node:assert/strict';
import type { ListOptions, ListPage, SessionStore } from '../../contract.js';
import { expectOk } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { defineTests } from './define.js';

/** Follows cursors to the end; fails on a page over the limit or an endless cursor chain. */
export async function listAll(
  store: SessionStore,
  options: Omit<ListOptions, 'cursor'> = {},
  maxPages = 10_000,
): Promise<string[]> {
  assert.ok(store.list, 'the store declares list but has no list()');
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const result: ListPage = await store.list(
      cursor === undefined ? options : { ...options, cursor },
    );
    assert.ok(Array.isArray(result.ids), 'list() must return { ids: string[] }');
    if (options.limit !== undefined) {
      assert.ok(
        result.ids.length <= options.limit,
        `a page of ${result.ids.length} ids exceeds limit ${options.limit}`,
      );
    }
    ids.push(...result.ids);
    if (result.cursor === undefined) return ids;
    assert.equal(typeof result.cursor, 'string', 'the cursor must be a string');
    cursor = result.cursor;
  }
  assert.fail(`list() still returned a cursor after ${maxPages} pages`);
}

async function createMany(
  t: ConformanceContext,
  count: number,
  userId?: string,
): Promise<string[]> {
  const ids = Array.from({ length: count }, () => t.newId());
  for (let i = 0; i < ids.length; i += 50) {
    await Promise.all(
      ids
        .slice(i, i + 50)
        .map(async (id) => expectOk(await t.store.create(id, t.record('x', userId)), 'create')),
    );
  }
  return ids;
}

function assertSameIds(actual: string[], expected: string[], what: string): void {
  const seen = new Set<string>();
  const repeated = actual.filter((id) => seen.has(id) || !seen.add(id));
  assert.deepEqual(repeated, [], `${what}: ids listed twice`);
  const missing = expected.filter((id) => !seen.has(id));
  assert.deepEqual(missing, [], `${what}: ids never listed`);
  const wanted = new Set(expected);
  const extra = actual.filter((id) => !wanted.has(id));
  assert.deepEqual(extra, [], `${what}: ids that should not be listed`);
}

export const listingTests = defineTests({
  'list: pages 1,000 ids with a small limit, with no duplicates and no misses': {
    requires: ['list'],
    async run(t) {
      const ids = await createMany(t, 1_000);
      assertSameIds(await listAll(t.store, { limit: 7 }), ids, 'limit 7');
      assertSameIds(await listAll(t.store), ids, 'default limit');
    },
  },
  'list: an empty store lists nothing': {
    requires: ['list'],
    async run(t) {
      assert.deepEqual(await listAll(t.store, { limit: 5 }), [], 'list() of an empty namespace');
    },
  },
  'list: skips destroyed and expired records': {
    requires: ['list'],
    async run(t) {
      const live = await createMany(t, 5);
      const destroyed = t.newId();
      expectOk(await t.store.create(destroyed, t.record()), 'create');
      await t.store.destroy(destroyed);
      await t.createExpired(t.newId());
      assertSameIds(await listAll(t.store, { limit: 2 }), live, 'list');
    },
  },
  'list: filters by userId': {
    requires: ['list', 'users'],
    async run(t) {
      const alice = await createMany(t, 30, 'alice');
      await createMany(t, 20, 'bob');
      await createMany(t, 10);
      const moved = alice.pop() ?? assert.fail('no ids');
      expectOk(await t.store.update(moved, t.record('moved', 'bob')), 'update to bob');
      assertSameIds(await listAll(t.store, { userId: 'alice', limit: 4 }), alice, 'alice');
      assert.deepEqual(await listAll(t.store, { userId: 'nobody' }), []);
    },
  },
  'count: counts live records only': {
    requires: ['count'],
    async run(t) {
      assert.equal(await t.store.count?.(), 0, 'an empty store');
      await createMany(t, 12);
      const destroyed = t.newId();
      expectOk(await t.store.create(destroyed, t.record()), 'create');
      await t.store.destroy(destroyed);
      await t.createExpired(t.newId());
      assert.equal(await t.store.count?.(), 12, 'count() of 12 live records');
    },
  },
});
