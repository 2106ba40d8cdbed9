import { type ChildProcess, fork } from 'node:child_process';
import { inject } from 'vitest';
import type { Job, WorkerMessage } from './worker.js';

export { isWholePayload, payload } from './payload.js';
export type { Job, Read, Write } from './worker.js';

export type Done = Extract<WorkerMessage, { type: 'done' }>;

/** A worker process running test/support/worker.ts on a shared store directory. */
export class Worker {
  readonly child: ChildProcess;
  readonly errors: string[] = [];
  readonly ready: Promise<void>;
  /** The worker's result, once it has sent it and exited. */
  readonly done: Promise<Done>;
  readonly exited: Promise<NodeJS.Signals | number | null>;

  constructor(job: Job, as?: { uid: number; gid: number }) {
    this.child = fork(inject('workerScript'), [JSON.stringify(job)], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      ...as,
    });
    // 'close', not 'exit': 'exit' can come before the last IPC messages are
    // delivered, and a worker that sent its result would look silent.
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code, signal) => resolve(signal ?? code)),
    );
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') resolve();
        if (message.type === 'error') this.errors.push(message.message);
      });
      void this.exited.then(() =>
        reject(new Error(`worker exited before it was ready: ${this.errors.join('\n')}`)),
      );
    });
    // The result counts once the process has exited too: a test that goes on
    // to inspect or remove the directory must not race the worker's last writes.
    this.done = new Promise((resolve, reject) => {
      let result: Done | undefined;
      this.child.on('message', (message: WorkerMessage) => {
        if (message.type === 'done') result = message;
      });
      void this.exited.then((how) =>
        result
          ? resolve(result)
          : reject(
              new Error(
                `worker exited (${String(how)}) without a result: ${this.errors.join('\n')}`,
              ),
            ),
      );
    });
    // Whichever of the two is not awaited must not become an unhandled rejection.
    this.ready.catch(() => undefined);
    this.done.catch(() => undefined);
  }

  /** Lets a ready worker start its job. */
  go(): void {
    this.child.send('go');
  }

  /** Kills the worker with SIGKILL: no cleanup, no finally blocks. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** Starts workers, waits until all are ready, then lets them go at once. */
export async function startTogether(jobs: Job[]): Promise<Worker[]> {
  const workers = jobs.map((job) => new Worker(job));
  await Promise.all(workers.map((w) => w.ready));
  for (const worker of workers) worker.go();
  return workers;
}
