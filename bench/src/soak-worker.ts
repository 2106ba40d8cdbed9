/**
 * The load of `pnpm soak`, in a process of its own: `concurrency` loops, each
 * owning one session, each incrementing the session's counter and committing,
 * as fast as the store answers. Every acknowledged commit is reported to the
 * parent, with the counter it stored; so is the process's memory, every
 * second. Failed commits (the backend is down) are counted and retried.
 *
 * The parent passes `{ url, concurrency, sessions }` as the argument:
 * `sessions` holds each loop's token and last acknowledged counter, from an
 * earlier worker it killed, so a restarted worker carries on where that one
 * stopped.
 */
import { SessionManager } from '@sess/core';
import { openStore } from '@sess/url';

export interface WorkerJob {
  readonly url: string;
  readonly concurrency: number;
  readonly sessions: ReadonlyArray<{ token: string; acked: number } | null>;
}

export type WorkerMessage =
  | { type: 'ack'; loop: number; token: string; counter: number }
  | { type: 'failed'; loop: number; code: string }
  | { type: 'memory'; heapUsed: number; rss: number }
  | { type: 'unhandled'; message: string }
  | { type: 'ready' };

const job = JSON.parse(process.argv[2] ?? '{}') as WorkerJob;
const send = (message: WorkerMessage) => process.send?.(message);

// A rejection nobody handled is a bug of the library: report it, keep going.
process.on('unhandledRejection', (reason) => send({ type: 'unhandled', message: String(reason) }));
process.on('uncaughtException', (error) => send({ type: 'unhandled', message: String(error) }));

const opened = await openStore(job.url, { mode: 'create' });
const manager = new SessionManager({ store: opened.store });
let stopping = false;
process.on('message', (message) => {
  if (message === 'stop') stopping = true;
});

async function loop(index: number): Promise<void> {
  const known = job.sessions[index];
  let token = known?.token;
  while (!stopping) {
    // As between two requests of a server: SQLite answers synchronously, and
    // without this turn of the event loop the loops would starve its timers
    // and the channel to the parent.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      const session = await manager.load(token);
      // A session the store lost (a restarted memory-only server) starts again at 0.
      const counter = ((session.get('counter') as number | undefined) ?? 0) + 1;
      session.set('counter', counter);
      const cookie = await manager.commit(session);
      if (cookie && 'token' in cookie) token = cookie.token;
      if (token) send({ type: 'ack', loop: index, token, counter });
    } catch (error) {
      const code = String((error as { code?: unknown }).code ?? (error as Error).name);
      send({ type: 'failed', loop: index, code });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const memory = setInterval(() => {
  const { heapUsed, rss } = process.memoryUsage();
  send({ type: 'memory', heapUsed, rss });
}, 1_000);
send({ type: 'ready' });
await Promise.all(Array.from({ length: job.concurrency }, (_, i) => loop(i)));
clearInterval(memory);
await opened.close();
process.disconnect?.();
