import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, Socket } from 'node:net';

/** The only host test servers ever listen on. */
export const LOOPBACK = '127.0.0.1';

/** A free TCP port on the loopback interface, as the kernel hands it out. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, LOOPBACK);
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('No port was assigned.');
  return address.port;
}

/** Resolves once something accepts TCP connections on `port`. */
export async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
      socket.connect(port, LOOPBACK);
    });
    if (open) return;
    if (Date.now() > deadline)
      throw new Error(`Nothing listened on ${LOOPBACK}:${port} within ${timeoutMs} ms.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface ManagedProcess {
  readonly port: number;
  /** Kills the server at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Kills it for good and removes what it left on disk. */
  dispose(): Promise<void>;
}

export interface ProcessSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly port: number;
  /** Extra readiness check after the port opens (e.g. a protocol ping). */
  readonly ready?: () => Promise<void>;
  readonly cleanup?: () => Promise<void>;
  readonly uid?: number;
  readonly gid?: number;
}

/** Runs a server process that tests can kill and restart on the same port. */
export async function manageProcess(spec: ProcessSpec): Promise<ManagedProcess> {
  let child: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    if (child) return;
    output = '';
    const spawned = spawn(spec.command, spec.args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(spec.uid === undefined ? {} : { uid: spec.uid }),
      ...(spec.gid === undefined ? {} : { gid: spec.gid }),
    });
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4_000);
    };
    spawned.stdout?.on('data', keep);
    spawned.stderr?.on('data', keep);
    running.add(spawned);
    child = spawned;
    const exited = once(spawned, 'exit').then(() => {
      running.delete(spawned);
      if (child === spawned) child = undefined;
      throw new Error(`${spec.command} exited early:\n${output}`);
    });
    exited.catch(() => undefined);
    await Promise.race([waitForPort(spec.port).then(() => spec.ready?.()), exited]);
  };

  const kill = async () => {
    const current = child;
    if (!current) return;
    child = undefined;
    const exited = once(current, 'exit');
    current.kill('SIGKILL');
    await exited;
    running.delete(current);
  };

  await start();
  return {
    port: spec.port,
    kill,
    start,
    async dispose() {
      await kill();
      await spec.cleanup?.();
    },
  };
}
