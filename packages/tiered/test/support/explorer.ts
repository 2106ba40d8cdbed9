import assert from 'node:assert/strict';
import {
  type Clock,
  MemoryStore,
  type SessionRecord,
  type SessionStore,
  type StoredSession,
} from '@sess/core';
import {
  independent,
  type Outcome,
  quiesce,
  ScheduledStore,
  Scheduler,
  type Step,
} from './scheduler.js';

/**
 * Explores every interleaving of a few concurrent operations on a store
 * made of two tiers: each call an operation makes into either tier is held,
 * the explorer decides which held call goes next, then replays the scenario
 * from the start for every other choice (depth first). A scenario may also
 * fail one call per schedule: lost on its way, timed out and applied later
 * (at any point after), or applied just before its process died.
 *
 * After each schedule, with every operation settled:
 * - no operation failed unless a call of its own did, and every read
 *   returned null or a record some write produced;
 * - the store reads what the durable store holds;
 * - once the store had its chance to recover from a failed cache, the cache
 *   holds no live record but the durable store's, and another store (another
 *   process) on the same tiers reads the truth too;
 * - and still once every mark and lease left behind could have expired.
 *
 * The tiers are MemoryStores: a schedule takes about a millisecond.
 */

const HOUR = 3_600_000;
/** How far the clock moves to let whatever was left behind expire. */
const LATER = 200_001;

/** `s` belongs to user `u`, `peer` to user `v`; `late` is what a scenario may create. */
export const IDS = ['s', 'peer', 'late'];

export interface World {
  readonly store: SessionStore;
  record(data: string, userId?: string): SessionRecord;
  now(): number;
}

export type Op = (world: World) => Promise<unknown>;

export interface Scenario {
  readonly name: string;
  /** The sessions are read (cached) before the operations start. */
  readonly hot: boolean;
  /** Which calls may fail: any call of either tier, only durable writes (timing out), or none. */
  readonly faults: 'any' | 'durable writes' | 'none';
  readonly ops: readonly Op[];
}

/** How the store under test is made from its two tiers. */
export interface Subject {
  open(cache: SessionStore, durable: SessionStore, now: Clock): SessionStore;
  /** The live record the cache holds for `id`, as the store would serve it, if any. */
  peek(cache: SessionStore, id: string, now: number): Promise<StoredSession | undefined>;
}

export const get =
  (id: string): Op =>
  (w) =>
    w.store.get(id);
export const update =
  (id: string, data: string, userId?: string): Op =>
  (w) =>
    w.store.update(id, w.record(data, userId));
export const touch =
  (id: string): Op =>
  (w) =>
    w.store.touch(id, w.now() + 2 * HOUR);
export const destroy =
  (id: string): Op =>
  (w) =>
    w.store.destroy(id);
export const destroyByUser =
  (userId: string): Op =>
  (w) =>
    w.store.destroyByUser?.(userId) ?? Promise.reject(new Error('no destroyByUser'));
export const create =
  (id: string, userId: string): Op =>
  (w) =>
    w.store.create(id, w.record('created', userId));

/**
 * Runs every schedule of the scenario that is not equivalent to one already
 * run; returns how many ran. Two schedules that differ only in the order of
 * calls that commute (see `independent`) end in the same state with the same
 * results, so one of them suffices (sleep sets, replayed from the start).
 * Rejects with the first schedule that breaks a rule.
 */
export async function explore(subject: Subject, scenario: Scenario): Promise<number> {
  let path: number[] = [];
  let schedules = 0;
  for (;;) {
    const { chosen, awake } = await runSchedule(subject, scenario, path);
    schedules++;
    // The next schedule: the deepest step with an awake choice not yet taken.
    let depth = chosen.length - 1;
    let next: number | undefined;
    for (; depth >= 0; depth--) {
      next = awake[depth]?.find((index) => index > (chosen[depth] as number));
      if (next !== undefined) break;
    }
    if (next === undefined) return schedules;
    path = [...chosen.slice(0, depth), next];
  }
}

type Option = readonly [Step, Outcome];

/** The ways each held call may go, in a fixed order. */
function optionsFor(steps: readonly Step[], scenario: Scenario, faulted: boolean): Option[] {
  const options: Option[] = [];
  for (const step of steps) {
    options.push([step, 'run']);
    if (scenario.faults === 'none' || faulted || step.method.startsWith('late ')) continue;
    const read = step.method === 'get' || step.method === 'list';
    if (scenario.faults === 'durable writes') {
      if (step.tier === 'durable' && !read) options.push([step, 'late']);
      continue;
    }
    // A lost read is just lost: `drop` says it all. A durable read that fails
    // is the durable store's outage, which the conformance suite covers.
    if (step.tier === 'cache' || !read) options.push([step, 'drop']);
    if (!read) options.push([step, 'late']);
    options.push([step, 'crash']);
  }
  return options;
}

/**
 * One schedule: follows `path` (an option index per step), then the first
 * awake option at every step. Returns what it chose and which options were
 * awake at each step; stops early when every option is asleep (every way on
 * is then covered by another schedule).
 */
async function runSchedule(
  subject: Subject,
  scenario: Scenario,
  path: readonly number[],
): Promise<{ chosen: number[]; awake: number[][] }> {
  let time = Date.now();
  const now = () => time;
  const scheduler = new Scheduler();
  const cache = new MemoryStore({ now });
  const durable = new MemoryStore({ now });
  const durableTier = new ScheduledStore(durable, scheduler, 'durable');
  const store = subject.open(new ScheduledStore(cache, scheduler, 'cache'), durableTier, now);
  const world: World = {
    store,
    now,
    record: (data, userId) => ({
      data,
      expiresAt: time + HOUR,
      ...(userId === undefined ? {} : { userId }),
    }),
  };
  for (const id of ['s', 'peer']) {
    await durableTier.create(id, world.record(`initial ${id}`, id === 's' ? 'u' : 'v'));
    if (scenario.hot) await store.get(id);
  }

  // The operations, each tagged so its calls are told apart.
  scheduler.auto = false;
  const outcomes: Array<PromiseSettledResult<unknown> | undefined> = [];
  const running = scenario.ops.map((op, index) =>
    scheduler
      .run(index, () => op(world))
      .then(
        (value) => {
          outcomes[index] = { status: 'fulfilled', value };
        },
        (reason: unknown) => {
          outcomes[index] = { status: 'rejected', reason };
        },
      ),
  );
  const chosen: number[] = [];
  const awakeAt: number[][] = [];
  const faulted = new Set<number>();
  let durableFault = false;
  let sleeping: Option[] = [];
  const commute = (a: Option, b: Option) =>
    faulted.size === 0 && a[1] === 'run' && b[1] === 'run' && independent(a[0], b[0]);
  for (let depth = 0; ; depth++) {
    await quiesce();
    const steps = scheduler.choices();
    if (steps.length === 0) break;
    const options = optionsFor(steps, scenario, faulted.size > 0);
    const awake = options
      .map((_, index) => index)
      .filter((index) => {
        const [step, outcome] = options[index] as Option;
        return !sleeping.some((z) => z[0] === step && z[1] === outcome);
      });
    if (awake.length === 0) return { chosen, awake: awakeAt };
    const pick = path[depth] ?? (awake[0] as number);
    const taken = options[pick] as Option;
    // What was explored before `taken` here need not be explored after it, if they commute.
    const before = awake.filter((index) => index < pick).map((index) => options[index] as Option);
    sleeping = [...sleeping, ...before].filter((z) => z[0] !== taken[0] && commute(z, taken));
    chosen.push(pick);
    awakeAt.push(awake);
    const [step, outcome] = taken;
    if (outcome !== 'run') {
      faulted.add(step.op);
      if (step.tier === 'durable') durableFault = true;
      if (outcome === 'crash') scheduler.crashed.add(step.op);
    }
    scheduler.release(step, outcome);
  }
  await Promise.all(running.filter((_, index) => !scheduler.crashed.has(index)));
  scheduler.auto = true;
  const where = `${scenario.name}, schedule [${chosen.join(',')}]`;

  // No operation fails because of the cache; one whose durable call failed may.
  outcomes.forEach((outcome, index) => {
    if (outcome === undefined || outcome.status === 'fulfilled') return;
    assert.ok(
      durableFault && faulted.has(index),
      `${where}: operation ${index} failed: ${String(outcome.reason)}`,
    );
  });
  // Every record read was written to the durable store (whatever its writer heard back).
  outcomes.forEach((outcome, index) => {
    const read = outcome?.status === 'fulfilled' ? (outcome.value as StoredSession | null) : null;
    if (read && typeof read === 'object' && 'data' in read) {
      assert.ok(
        durableTier.written.has(read.version),
        `${where}: op ${index} read a record no write made`,
      );
    }
  });

  for (const id of IDS) {
    assert.deepEqual(await store.get(id), await durable.get(id), `${where}: ${id} read wrong`);
  }
  // A cache marked down is tried again by the next operation; the recovery
  // only waits on memory stores.
  await store.get('s');
  await quiesce();
  const check = async (label: string) => {
    const other = subject.open(cache, durable, now);
    for (const id of IDS) {
      const truth = await durable.get(id);
      const held = await subject.peek(cache, id, now());
      if (held) assert.deepEqual(held, truth, `${where} ${label}: the cache holds a stale ${id}`);
      assert.deepEqual(
        await other.get(id),
        truth,
        `${where} ${label}: another store read ${id} wrong`,
      );
    }
    await other.close();
  };
  await check('after the operations');
  time += LATER;
  await check('once whatever was left behind expired');
  return { chosen, awake: awakeAt };
}
