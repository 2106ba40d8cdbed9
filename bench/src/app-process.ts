/**
 * The HTTP benches run each app in a process of its own, so that the load
 * generator never shares its event loop. The app tells the bench its port
 * over IPC, answers "cpu" with the CPU time it has used (user + system, µs),
 * and stops on "stop".
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..');

/** An app process, from the bench's side. */
export interface AppProcess {
  readonly url: string;
  /** CPU time the app process has used so far, in microseconds. */
  cpuUs(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts `file` (TypeScript, through tsx) with `args` and waits for its port. */
export async function startAppProcess(file: string, args: readonly string[]): Promise<AppProcess> {
  const child = fork(file, [...args], {
    cwd: benchRoot,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  const ready = once(child, 'message') as Promise<[{ port: number }]>;
  const first = await Promise.race([ready, exited.then(() => undefined)]);
  if (!first) throw new Error(`${file} ${args[0] ?? ''} exited before listening.`);
  return {
    url: `http://127.0.0.1:${first[0].port}`,
    async cpuUs() {
      const answer = once(child, 'message') as Promise<[{ cpuUs: number }]>;
      child.send('cpu');
      return (await answer)[0].cpuUs;
    },
    async stop() {
      child.send('stop');
      await exited;
    },
  };
}

/** The app's side: reports `port`, answers "cpu", and on "stop" runs `close` and exits. */
export function serveAppProcess(port: number, close: () => Promise<unknown>): void {
  process.send?.({ port });
  process.on('message', (message) => {
    if (message === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send?.({ cpuUs: user + system });
      return;
    }
    if (message !== 'stop') return;
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
