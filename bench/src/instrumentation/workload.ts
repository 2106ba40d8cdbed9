/**
 * The measured work of `../instrumentation.ts`, bundled once per build of
 * @sess/core (the import below is pointed at the core source there).
 * Run directly (`node workload.mjs <phase> <ops> <loop: 0|1>`), it
 * prepares `ops` sessions, runs the phase once to warm up, prepares it
 * again, runs its loop if asked, and exits: the difference of the two runs' instruction counts
 * under callgrind is the loop's.
 */
import { pathToFileURL } from 'node:url';
import { MemoryStore, type Session, SessionManager } from '@sess/core';

const DATA = {
  userId: 'user-0001',
  roles: ['reader', 'writer'],
  cart: Array.from({ length: 8 }, (_, i) => ({ sku: `sku-${i}`, quantity: i + 1 })),
  locale: 'en-GB',
};

export interface Workload {
  readonly manager: SessionManager;
  readonly tokens: string[];
}

/** `ops` stored sessions on a fresh MemoryStore. */
export async function prepare(ops: number): Promise<Workload> {
  const manager = new SessionManager({ store: new MemoryStore() });
  const tokens: string[] = [];
  for (let i = 0; i < ops; i++) {
    const session = await manager.load(undefined);
    for (const [key, value] of Object.entries(DATA)) session.set(key, value);
    const cookie = await manager.commit(session);
    if (!cookie || !('token' in cookie)) throw new Error('expected a cookie');
    tokens.push(cookie.token);
  }
  return { manager, tokens };
}

/** Each phase: what is not measured first, then the measured loop as a function. */
export const phases = {
  /** `load`: the store's get, the envelope and the codec. */
  async get({ manager, tokens }: Workload): Promise<() => Promise<void>> {
    return async () => {
      for (const token of tokens) await manager.load(token);
    };
  },
  /** `commit` of a loaded session with one key changed: the store's update. */
  async commit({ manager, tokens }: Workload): Promise<() => Promise<void>> {
    const sessions: Session[] = [];
    for (const token of tokens) {
      const session = await manager.load(token);
      session.set('visits', ((session.get('visits') as number | undefined) ?? 0) + 1);
      sessions.push(session);
    }
    return async () => {
      for (const session of sessions) await manager.commit(session);
    };
  },
};
export type PhaseName = keyof typeof phases;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [phase, ops, loop] = process.argv.slice(2) as [PhaseName, string, string];
  const workload = await prepare(Number(ops));
  // A warm-up loop in both runs, so the compiler's work is not counted.
  await (await phases[phase](workload))();
  const run = await phases[phase](workload);
  if (loop === '1') await run();
}
