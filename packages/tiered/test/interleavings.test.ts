import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { decodeEntry } from '../src/entries.js';
import { TieredStore } from '../src/index.js';
import {
  create,
  destroy,
  destroyByUser,
  explore,
  get,
  type Op,
  type Scenario,
  type Subject,
  touch,
  update,
} from './support/explorer.js';
import { NaiveCachedStore } from './support/naive.js';

// Every interleaving of a few concurrent operations, with and without a
// failing call, on a TieredStore over two MemoryStores: see
// support/explorer.ts for what is explored and what is checked.

const tiered: Subject = {
  // No timer may fire while the explorer holds calls: long budgets, no
  // background probe; a failed cache is tried again by the next operation.
  open: (cache, durable, now) =>
    new TieredStore({
      cache,
      durable,
      now,
      cacheRetryMs: 0,
      cacheTimeoutMs: 10_000,
      fenceTtlMs: 100_000,
      durableProbeMs: 1e9,
    }),
  async peek(cache, id, now) {
    const stored = await cache.get(id);
    const entry = stored && decodeEntry(stored.data);
    return entry?.kind === 'value' && entry.record.expiresAt > now ? entry.record : undefined;
  },
};

const PAIRS: Array<[string, Op[]]> = [
  ['get and destroy', [get('s'), destroy('s')]],
  ['get and update', [get('s'), update('s', 'updated', 'u')]],
  ['get and touch', [get('s'), touch('s')]],
  ['update and destroy', [update('s', 'updated', 'u'), destroy('s')]],
  ['update and update', [update('s', 'first', 'u'), update('s', 'second', 'u')]],
  ['touch and destroy', [touch('s'), destroy('s')]],
  ['get and destroyByUser', [get('s'), destroyByUser('u')]],
  ['update and destroyByUser', [update('s', 'updated', 'u'), destroyByUser('u')]],
  // Not the user's when the logout lists the user's sessions, the user's when it destroys them.
  [
    'update that gives a session to the user, and destroyByUser',
    [update('peer', 'given', 'u'), destroyByUser('u')],
  ],
];

const TRIPLES: Array<[string, Op[]]> = [
  ['get, get and destroy', [get('s'), get('s'), destroy('s')]],
  [
    'a login during "log out everywhere", and a read of it',
    [create('late', 'u'), destroyByUser('u'), get('late')],
  ],
];

const scenarios: Scenario[] = [];
for (const hot of [false, true]) {
  for (const [name, ops] of PAIRS) scenarios.push({ name, hot, faults: 'any', ops });
  for (const [name, ops] of TRIPLES) scenarios.push({ name, hot, faults: 'none', ops });
}
// Two writers and a reader. Starting cached, and failing only durable
// writes, keeps the count of schedules down.
scenarios.push(
  {
    name: 'get, update and destroy',
    hot: true,
    faults: 'none',
    ops: [get('s'), update('s', 'updated', 'u'), destroy('s')],
  },
  {
    name: 'get, update and update',
    hot: true,
    faults: 'durable writes',
    ops: [get('s'), update('s', 'first', 'u'), update('s', 'second', 'u')],
  },
);

const FAULTS = {
  any: ', with any one call failing',
  'durable writes': ', with a durable write timing out',
  none: '',
};

describe('every interleaving: the cache never serves what the durable store no longer holds', () => {
  for (const scenario of scenarios) {
    const before = scenario.hot ? 'cached' : 'not cached';
    it(`${scenario.name}, ${before} before${FAULTS[scenario.faults]}`, async () => {
      const schedules = await explore(tiered, scenario);
      assert.ok(schedules > 1, 'the scenario has no interleaving to explore');
    });
  }
});

describe('the explorer finds the races of a naive cache in front of a durable store', () => {
  const naive: Subject = {
    open: (cache, durable) => new NaiveCachedStore(cache, durable),
    async peek(cache, id, now) {
      const stored = await cache.get(id);
      const record = stored && (JSON.parse(stored.data) as { expiresAt: number });
      return record && record.expiresAt > now ? (record as never) : undefined;
    },
  };
  const cases: Array<[string, Scenario, RegExp]> = [
    [
      'a read that missed puts back a session a logout destroyed',
      { name: 'get and destroy', hot: false, faults: 'none', ops: [get('s'), destroy('s')] },
      /stale s|s read wrong/,
    ],
    [
      'two writes leave the older one in the cache',
      {
        name: 'update and update',
        hot: true,
        faults: 'none',
        ops: [update('s', 'first', 'u'), update('s', 'second', 'u')],
      },
      /stale s|s read wrong/,
    ],
    [
      'a logout whose cache delete failed leaves the session in the cache',
      { name: 'destroy', hot: true, faults: 'any', ops: [destroy('s')] },
      /stale s|s read wrong/,
    ],
  ];
  for (const [name, scenario, expected] of cases) {
    it(name, async () => {
      await assert.rejects(explore(naive, scenario), expected);
    });
  }
});
