import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { MemoryStore } from '../src/index.js';

const record = (data: string) => ({ data, expiresAt: Date.now() + 60_000 });

describe('MemoryStore beyond the contract', () => {
  it('evicts the least recently used record past maxEntries', async () => {
    const store = new MemoryStore({ maxEntries: 3 });
    for (const id of ['a', 'b', 'c']) await store.create(id, record(id));
    await store.get('a'); // a is now the most recently used
    await store.create('d', record('d'));
    assert.equal(await store.get('b'), null, 'the least recently used record stays');
    for (const id of ['a', 'c', 'd']) assert.equal((await store.get(id))?.data, id);
    assert.equal(await store.count(), 3);
  });

  it('drops an evicted record from its user index', async () => {
    const store = new MemoryStore({ maxEntries: 1 });
    await store.create('a', { ...record('a'), userId: 'alice' });
    await store.create('b', record('b'));
    assert.deepEqual((await store.list({ userId: 'alice' })).ids, []);
    assert.equal(await store.destroyByUser('alice'), 0);
  });

  it('refuses options that cannot work', () => {
    assert.throws(() => new MemoryStore({ maxEntries: 0 }), { code: 'SESS_INVALID_OPTION' });
    assert.throws(() => new MemoryStore({ maxPayloadBytes: 1.5 }), { code: 'SESS_INVALID_OPTION' });
  });

  it('rejects every call after close with StoreUnavailableError', async () => {
    const store = new MemoryStore();
    await store.close();
    await assert.rejects(store.get('a'), { code: 'SESS_STORE_UNAVAILABLE' });
    await assert.rejects(store.create('a', record('a')), { code: 'SESS_STORE_UNAVAILABLE' });
  });
});
