import assert from 'node:assert/strict';
import { expectOk } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { eventually, settleWithin, sleep } from '../timing.js';
import { defineTests } from './define.js';
import { everyOperation, type Operation } from './operations.js';

/** The bound every operation must meet, and a longer guard against one that never settles. */
function bounds(t: ConformanceContext): { bound: number; guard: number } {
  const ms = t.capabilities.operationTimeoutMs;
  assert.ok(
    typeof ms === 'number' && ms > 0,
    'A store tested for faults must declare capabilities.operationTimeoutMs.',
  );
  const bound = ms + t.timing.slackMs * t.timing.scale;
  return { bound, guard: bound * 3 + 1_000 };
}

/** Records unhandled rejections and uncaught exceptions while a test runs. */
function watchProcess() {
  const seen: unknown[] = [];
  const record = (error: unknown) => seen.push(error);
  const proc = globalThis.process;
  proc?.on('unhandledRejection', record);
  proc?.on('uncaughtException', record);
  return {
    async stop(): Promise<void> {
      await sleep(100); // let late rejections surface
      proc?.off('unhandledRejection', record);
      proc?.off('uncaughtException', record);
      assert.deepEqual(
        seen.map(String),
        [],
        'the outage left unhandled rejections or uncaught errors',
      );
    },
  };
}

async function recovered(t: ConformanceContext): Promise<void> {
  const id = t.newId();
  const attemptMs = (t.capabilities.operationTimeoutMs ?? 0) + t.timing.slackMs * t.timing.scale;
  await eventually(
    async () => {
      const attempt = await settleWithin(
        t.store.create(id, t.record('after the outage')),
        attemptMs,
        'create',
      );
      return attempt.status === 'fulfilled' && attempt.value.ok;
    },
    t.timing.recoveryMs * t.timing.scale,
    'the store to work again after the backend returned',
    100,
  );
  assert.equal((await t.store.get(id))?.data, 'after the outage');
}

/** Stops the backend for `during`, restarts it whatever happens, then waits for recovery. */
async function withOutage(t: ConformanceContext, during: () => Promise<void>): Promise<void> {
  const faults = t.options.faults ?? assert.fail('no faults hook');
  await faults.stop();
  try {
    await during();
  } finally {
    await faults.start();
  }
  await recovered(t);
}

export const faultTests = defineTests({
  'faults: during an outage every operation rejects with StoreUnavailableError within operationTimeoutMs':
    {
      requires: ['faults'],
      exclusive: true,
      async run(t) {
        const { bound, guard } = bounds(t);
        const id = t.newId();
        expectOk(await t.store.create(id, t.record()), 'create before the outage');
        const watch = watchProcess();
        await withOutage(t, async () => {
          const check = async ([name, call]: Operation) => {
            const started = performance.now();
            const outcome = await settleWithin(call(), guard, name);
            const elapsed = performance.now() - started;
            assert.equal(
              outcome.status,
              'rejected',
              `${name} succeeded while the backend was down`,
            );
            const error =
              outcome.status === 'rejected' ? (outcome.reason as { code?: unknown }) : {};
            assert.equal(
              error.code,
              'SESS_STORE_UNAVAILABLE',
              `${name} rejected with ${String(error)}`,
            );
            assert.ok(
              elapsed <= bound,
              `${name} took ${Math.round(elapsed)} ms; the bound is ${bound} ms`,
            );
          };
          for (const op of everyOperation(t, id)) await check(op);
          await Promise.all(everyOperation(t, id).map(check));
        });
        await watch.stop();
      },
    },
  'faults: the same store instance works again after the backend returns': {
    requires: ['faults'],
    exclusive: true,
    async run(t) {
      const { guard } = bounds(t);
      expectOk(await t.store.create(t.newId(), t.record()), 'create before the outage');
      await withOutage(t, async () => {
        const outcome = await settleWithin(t.store.get(t.newId()), guard, 'get during the outage');
        assert.equal(outcome.status, 'rejected', 'get succeeded while the backend was down');
      });
      // withOutage has proven a create and a get; prove the rest of the contract too.
      const id = t.newId();
      const version = expectOk(await t.store.create(id, t.record('a')), 'create');
      expectOk(await t.store.update(id, t.record('b'), { ifVersion: version }), 'update');
      assert.equal(await t.store.touch(id, t.expiresIn(60_000)), true, 'touch after the outage');
      await t.store.destroy(id);
      assert.equal(await t.store.get(id), null, 'get after destroy, after the outage');
    },
  },
  'faults: operations in flight when the backend dies leave no unhandled rejection': {
    requires: ['faults'],
    exclusive: true,
    async run(t) {
      const { bound, guard } = bounds(t);
      const id = t.newId();
      expectOk(await t.store.create(id, t.record()), 'create before the outage');
      const watch = watchProcess();
      // Outcomes are collected as the calls are made, so only the store can leave a rejection unhandled.
      const fire = () =>
        everyOperation(t, id).map(([name, call]) => settleWithin(call(), guard, name));
      // The first wave is sent before the backend stops, the second while it is down.
      const inFlight = [...fire(), ...fire()];
      await withOutage(t, async () => {
        inFlight.push(...fire());
        await sleep(bound);
      });
      for (const outcome of await Promise.all(inFlight)) {
        if (outcome.status === 'rejected') {
          assert.equal(
            (outcome.reason as { code?: unknown }).code,
            'SESS_STORE_UNAVAILABLE',
            String(outcome.reason),
          );
        }
      }
      await watch.stop();
    },
  },
});
