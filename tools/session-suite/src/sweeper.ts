import { randomBytes } from 'node:crypto';
import type { SessionStore, Sweeper, SweeperOptions, SweepReport } from '@sess/core';
import { afterwards } from '@sess/core/conformance';
import { describe, expect, it } from 'vitest';

/** A store that expires by sweeping and runs a background sweeper. */
export interface SweepingStore extends SessionStore {
  startSweeper(options: SweeperOptions): Sweeper;
}

export interface SweeperSuiteOptions {
  /** Shown in the describe block. */
  readonly name: string;
  /**
   * Opens a fresh store in its own `namespace` that reads time from `now`
   * only. The suite closes it; `dispose` then removes what it left.
   */
  readonly createStore: (context: {
    namespace: string;
    now: () => number;
  }) => Promise<SweeperStoreHandle> | SweeperStoreHandle;
}

export interface SweeperStoreHandle {
  readonly store: SweepingStore;
  readonly dispose?: () => unknown;
}

/** Expired records each test plants, enough that a sweep of them takes real I/O. */
const EXPIRED = 40;
const runId = randomBytes(3).toString('hex');
let sequence = 0;

interface World {
  readonly store: SweepingStore;
  /** Makes the store's clock throw, so every sweep from now on fails inside the store. */
  breakClock(): void;
  /** Plants `count` records that have expired by the store's clock, and one live one. */
  plantExpired(count?: number): Promise<void>;
}

async function withWorld(options: SweeperSuiteOptions, body: (w: World) => Promise<void>) {
  let current = Date.now();
  let broken = false;
  const now = () => {
    if (broken) throw new Error('the clock failed');
    return current;
  };
  const handle = await options.createStore({
    namespace: `w${runId}_${(sequence++).toString(36)}`,
    now,
  });
  const { store } = handle;
  const world: World = {
    store,
    breakClock: () => {
      broken = true;
    },
    async plantExpired(count = EXPIRED) {
      const expiresAt = current + 1000;
      await Promise.all(
        Array.from({ length: count }, (_, i) =>
          store.create(`expired-${i}`, { data: 'x', expiresAt }),
        ),
      );
      await store.create('live', { data: 'x', expiresAt: current + 3_600_000 });
      current += 1000;
    },
  };
  await afterwards(
    () => body(world),
    async () => {
      broken = false;
      try {
        await store.close();
      } finally {
        await handle.dispose?.();
      }
    },
  );
}

/**
 * The lifecycle of `startSweeper()`, the same on every store that sweeps:
 * one sweeper at a time, one sweep at a time, what `stop()` and `close()`
 * wait for, and where failures go. Tests run one after another: they watch
 * process-wide warnings.
 *
 * @example
 * sweeperSuite({
 *   name: 'FileStore',
 *   createStore: ({ namespace, now }) => ({ store: new FileStore({ directory: join(root, namespace), now }) }),
 * });
 */
export function sweeperSuite(options: SweeperSuiteOptions): void {
  const rule = (name: string, body: (w: World) => Promise<void>) =>
    it(name, () => withWorld(options, body));

  describe(`startSweeper on ${options.name}`, () => {
    rule(
      'refuses an interval that is not an integer from 1000 ms, and a jitter outside 0..1',
      async ({ store }) => {
        for (const bad of [{ intervalMs: 999 }, { intervalMs: 1000.5 }, { intervalMs: 2 ** 31 }]) {
          expect(() => store.startSweeper(bad)).toThrow(
            expect.objectContaining({
              code: 'SESS_INVALID_OPTION',
              message: expect.stringMatching(/intervalMs/),
            }),
          );
        }
        expect(() => store.startSweeper({ intervalMs: 1000, jitter: 2 })).toThrow(
          expect.objectContaining({
            code: 'SESS_INVALID_OPTION',
            message: expect.stringMatching(/jitter/),
          }),
        );
        // A refused start leaves no sweeper behind.
        await store.startSweeper({ intervalMs: 60_000 }).stop();
      },
    );

    rule(
      'runNow sweeps exactly the expired records and reports to onSweep and stats',
      async (w) => {
        await w.plantExpired();
        const reports: SweepReport[] = [];
        const sweeper = w.store.startSweeper({
          intervalMs: 60_000,
          onSweep: (r) => reports.push(r),
        });
        const report = await sweeper.runNow();
        expect(report.deleted).toBe(EXPIRED);
        expect(report.durationMs).toBeGreaterThanOrEqual(0);
        expect(reports).toEqual([report]);
        expect(sweeper.stats).toMatchObject({
          sweeps: 1,
          failures: 0,
          deleted: EXPIRED,
          lastReport: report,
        });
        expect(await w.store.get('live')).not.toBeNull();
        expect(await w.store.get('expired-0')).toBeNull();
        expect((await sweeper.runNow()).deleted).toBe(0);
        expect(sweeper.stats).toMatchObject({ sweeps: 2, deleted: EXPIRED });
        await sweeper.stop();
      },
    );

    rule('immediate sweeps at once, without waiting an interval', async (w) => {
      await w.plantExpired();
      const report = await new Promise<SweepReport>((resolve) => {
        w.store.startSweeper({ intervalMs: 3_600_000, immediate: true, onSweep: resolve });
      });
      expect(report.deleted).toBe(EXPIRED);
    });

    rule(
      'runs one sweeper at a time: a second start throws until the first is stopped',
      async ({ store }) => {
        const first = store.startSweeper({ intervalMs: 60_000 });
        expect(() => store.startSweeper({ intervalMs: 60_000 })).toThrow(
          expect.objectContaining({ code: 'SESS_INVALID_OPTION' }),
        );
        const stopped = first.stop();
        // The slot is free as soon as stop() is called.
        const second = store.startSweeper({ intervalMs: 60_000 });
        await stopped;
        expect((await second.runNow()).deleted).toBe(0);
        await second.stop();
      },
    );

    rule('runs one sweep at a time: a runNow during a sweep joins it', async (w) => {
      await w.plantExpired();
      const sweeper = w.store.startSweeper({ intervalMs: 60_000 });
      const [a, b] = await Promise.all([sweeper.runNow(), sweeper.runNow()]);
      expect(b).toBe(a);
      expect(a.deleted).toBe(EXPIRED);
      expect(sweeper.stats.sweeps).toBe(1);
      await sweeper.stop();
    });

    rule(
      'stop() resolves once the sweep under way has finished; then runNow rejects',
      async (w) => {
        await w.plantExpired();
        const sweeper = w.store.startSweeper({ intervalMs: 60_000 });
        let finished = false;
        const sweep = sweeper.runNow().finally(() => {
          finished = true;
        });
        expect(await sweeper.stop()).toBeUndefined();
        expect(finished).toBe(true);
        expect((await sweep).deleted).toBe(EXPIRED);
        expect(await sweeper.stop()).toBeUndefined();
        await expect(sweeper.runNow()).rejects.toMatchObject({ code: 'SESS_STORE_UNAVAILABLE' });
        expect(sweeper.stats.failures).toBe(0);
      },
    );

    rule(
      'close() stops the sweeper and waits for the sweep under way, which may stop early but does not fail',
      async (w) => {
        await w.plantExpired();
        const errors: Error[] = [];
        const sweeper = w.store.startSweeper({
          intervalMs: 60_000,
          onError: (e) => errors.push(e),
        });
        let finished = false;
        const sweep = sweeper.runNow().finally(() => {
          finished = true;
        });
        await w.store.close();
        expect(finished).toBe(true);
        expect((await sweep).deleted).toBeLessThanOrEqual(EXPIRED);
        expect(errors).toEqual([]);
        expect(sweeper.stats.failures).toBe(0);
        await expect(sweeper.runNow()).rejects.toMatchObject({ code: 'SESS_STORE_UNAVAILABLE' });
        expect(() => w.store.startSweeper({ intervalMs: 60_000 })).toThrow(
          expect.objectContaining({ code: 'SESS_STORE_UNAVAILABLE' }),
        );
      },
    );

    rule(
      'a failed sweep goes to onError and stats, runNow rejects with it, and the sweeper carries on',
      async (w) => {
        await w.plantExpired(1);
        const errors: Error[] = [];
        const sweeper = w.store.startSweeper({
          intervalMs: 60_000,
          onError: (e) => errors.push(e),
        });
        w.breakClock();
        const first = await sweeper.runNow().then(
          () => undefined,
          (error: Error) => error,
        );
        expect(first).toBeInstanceOf(Error);
        await expect(sweeper.runNow()).rejects.toBeInstanceOf(Error);
        expect(errors).toHaveLength(2);
        expect(errors[0]).toBe(first);
        expect(sweeper.stats).toMatchObject({ sweeps: 0, failures: 2, lastError: errors[1] });
        await sweeper.stop();
      },
    );

    rule(
      'without onError, a failed timed sweep becomes a SESS_SWEEP_FAILED process warning',
      async (w) => {
        await w.plantExpired(1);
        w.breakClock();
        const warned = new Promise<Error & { code?: string }>((resolve) => {
          const listen = (warning: Error & { code?: string }) => {
            if (warning.code !== 'SESS_SWEEP_FAILED') return;
            process.off('warning', listen);
            resolve(warning);
          };
          process.on('warning', listen);
        });
        const sweeper = w.store.startSweeper({ intervalMs: 3_600_000, immediate: true });
        const warning = await warned;
        expect(warning.message).toContain(options.name);
        expect(sweeper.stats.failures).toBe(1);
        await sweeper.stop();
      },
    );

    rule('a listener that throws neither stops the sweeper nor escapes', async (w) => {
      await w.plantExpired();
      const sweeper = w.store.startSweeper({
        intervalMs: 60_000,
        onSweep: () => {
          throw new Error('a broken metrics hook');
        },
      });
      expect((await sweeper.runNow()).deleted).toBe(EXPIRED);
      expect((await sweeper.runNow()).deleted).toBe(0);
      expect(sweeper.stats.sweeps).toBe(2);
      await sweeper.stop();
    });
  });
}
