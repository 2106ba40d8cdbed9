/**
 * A child process that works on a store directory shared with other
 * processes. The parent test starts it with a job (argv[2], JSON) and reads
 * its findings over IPC.
 */
import { FileStore } from '../../src/index.js';
import { payload } from './payload.js';

export interface Job {
  readonly mode: 'create-race' | 'cas' | 'crash-loop' | 'idle-sweeper';
  readonly directory: string;
  /** Names this worker in the data it writes. */
  readonly name: string;
  readonly ids: readonly string[];
  readonly rounds?: number;
  readonly seed?: number;
}

export interface Write {
  readonly id: string;
  readonly version: string;
  readonly data: string;
  /** The version the write replaced (compare-and-set), absent for a create. */
  readonly base?: string;
}

export interface Read {
  readonly id: string;
  readonly version: string;
  readonly data: string;
}

export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'error'; readonly message: string }
  | {
      readonly type: 'done';
      readonly creates: Array<{ id: string; ok: boolean; version?: string; data: string }>;
      readonly writes: Write[];
      readonly reads: Read[];
      readonly conflicts: number;
      readonly corrupt: number;
    };

const HOUR = 3_600_000;

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send
      ? process.send(message, (error: Error | null) => (error ? reject(error) : resolve()))
      : resolve(),
  );
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as Job;
  const store = new FileStore({ directory: job.directory, operationTimeoutMs: 10_000 });
  let corrupt = 0;
  store.on('corrupt', () => corrupt++);
  const next = random(job.seed ?? 1);
  const pick = () => job.ids[Math.floor(next() * job.ids.length)] as string;
  await send({ type: 'ready' });
  if (job.mode === 'idle-sweeper') {
    // Nothing else to do: with the IPC channel gone, only a ref'd timer could keep this process alive.
    store.startSweeper({ intervalMs: 600_000 });
    process.disconnect();
    return;
  }
  // Every worker starts at the parent's signal, so their first writes really race.
  await new Promise((resolve) => process.once('message', resolve));

  if (job.mode === 'crash-loop') {
    // Runs until killed: every kind of write, with payloads large enough that
    // a kill often lands in the middle of one.
    for (let round = 0; ; round++) {
      const id = pick();
      const data = payload(job.name, round, Math.floor(next() * 64 * 1024));
      const record = { data, expiresAt: Date.now() + HOUR };
      const roll = next();
      try {
        if (roll < 0.2) await store.create(id, record);
        else if (roll < 0.5) {
          const current = await store.get(id);
          if (current) await store.update(id, record, { ifVersion: current.version });
        } else if (roll < 0.7) await store.update(id, record);
        else if (roll < 0.85) await store.touch(id, Date.now() + 2 * HOUR);
        else if (roll < 0.92) await store.destroy(id);
        else await store.get(id);
      } catch (error) {
        await send({ type: 'error', message: String(error) });
      }
    }
  }

  const creates: Array<{ id: string; ok: boolean; version?: string; data: string }> = [];
  for (const [i, id] of job.ids.entries()) {
    const data = payload(job.name, -1 - i, 16);
    const result = await store.create(id, { data, expiresAt: Date.now() + HOUR });
    creates.push(
      result.ok ? { id, ok: true, version: result.version, data } : { id, ok: false, data },
    );
  }

  const writes: Write[] = [];
  const reads: Read[] = [];
  let conflicts = 0;
  if (job.mode === 'cas') {
    for (let round = 0; round < (job.rounds ?? 0); round++) {
      const id = pick();
      const roll = next();
      if (roll < 0.15) {
        const touched = await store.touch(id, Date.now() + HOUR + Math.floor(next() * HOUR));
        if (!touched) throw new Error(`touch of live ${id} returned false`);
        continue;
      }
      const current = await store.get(id);
      if (!current) throw new Error(`live ${id} read as missing`);
      reads.push({ id, version: current.version, data: current.data });
      if (roll < 0.35) continue;
      const data = payload(job.name, round, Math.floor(next() * 8192));
      const result = await store.update(
        id,
        { data, expiresAt: Date.now() + HOUR },
        { ifVersion: current.version },
      );
      if (result.ok) writes.push({ id, version: result.version, data, base: current.version });
      else if (result.reason === 'conflict') conflicts++;
      else throw new Error(`update of live ${id} gave ${result.reason}`);
    }
  }
  await store.close();
  await send({ type: 'done', creates, writes, reads, conflicts, corrupt });
}

main().then(
  // An idle worker must end by itself; the others end as soon as they are done.
  () => (process.connected ? process.exit(0) : undefined),
  async (error: unknown) => {
    await send({ type: 'error', message: String((error as Error)?.stack ?? error) }).catch(
      () => undefined,
    );
    process.exit(1);
  },
);
