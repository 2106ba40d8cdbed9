import { type ChildProcess, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';

/** The only host test servers ever listen on. */
export const LOOPBACK = '127.0.0.1';

/**
 * A free TCP port on the loopback interface, below the kernel's ephemeral
 * range. A server that tests kill and restart on the same port must not sit
 * in that range: while it is down, the kernel could hand its port to an
 * outgoing connection (then the restart fails), and a dial to it could
 * connect to itself.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const floor = Math.min(20_000, low - 1_000);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = floor + randomInt(low - floor);
    if (await canListen(port)) return port;
  }
  throw new Error(`No free port between ${floor} and ${low} after 100 tries.`);
}

/** The kernel's range of ports for outgoing connections (Linux; a common default elsewhere). */
export function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low && high && low > 2_000) return [low, high];
  } catch {
    // not Linux
  }
  return [49_152, 65_535];
}

async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  server.listen(port, LOOPBACK);
  try {
    await once(server, 'listening');
  } catch {
    return false;
  }
  server.close();
  await once(server, 'close');
  return true;
}

/**
 * Whether something accepts a TCP connection on `port` now. A dial to a local
 * port nobody listens on can connect the socket to itself (TCP simultaneous
 * open, possible for ports in the ephemeral range): that counts as closed.
 */
function accepts(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(socket.localPort !== port));
    socket.once('error', () => done(false));
    socket.connect(port, LOOPBACK);
  });
}

export async function pollUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves once something accepts TCP connections on `port`. */
export function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  return pollUntil(() => accepts(port), timeoutMs, `Nothing listened on ${LOOPBACK}:${port}`);
}

/** Resolves once nothing accepts TCP connections on `port` any more. */
export function waitForPortClosed(port: number, timeoutMs = 20_000): Promise<void> {
  return pollUntil(
    async () => !(await accepts(port)),
    timeoutMs,
    `${LOOPBACK}:${port} still accepted connections`,
  );
}

/**
 * Sends `request` on a new connection and resolves with the first bytes of
 * the reply: a readiness check that proves the server itself answers, not
 * just that its port is open.
 */
export function ask(port: number, request: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${LOOPBACK}:${port} did not answer within ${timeoutMs} ms.`));
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('data', (data) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(data.toString());
    });
    socket.connect(port, LOOPBACK, () => socket.write(request));
  });
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface ManagedProcess {
  readonly port: number;
  /**
   * Kills the server at once (SIGKILL), as a crash would. Resolves once the
   * process has exited and its port refuses connections.
   */
  kill(): Promise<void>;
  /** Starts it again on the same port. Resolves once it answers requests. */
  start(): Promise<void>;
  /** Kills it for good and removes what it left on disk. */
  dispose(): Promise<void>;
}

/** A server whose process tests can also freeze, as a hung or overloaded server would be. */
export interface PausableProcess extends ManagedProcess {
  /**
   * Stops the process (SIGSTOP): its port stays open and takes connections,
   * but nothing answers. Resolves once the kernel reports it stopped.
   */
  pause(): Promise<void>;
  /** Lets it run again (SIGCONT); it then answers what was sent meanwhile. */
  resume(): Promise<void>;
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
export async function manageProcess(spec: ProcessSpec): Promise<PausableProcess> {
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
    await waitForPortClosed(spec.port);
  };

  const signal = async (name: 'SIGSTOP' | 'SIGCONT') => {
    const pid = child?.pid;
    if (pid === undefined) throw new Error(`${spec.command} is not running.`);
    process.kill(pid, name);
    // Signals arrive asynchronously: wait until the kernel reports the new state.
    const stopped = name === 'SIGSTOP';
    await pollUntil(
      async () => {
        const state = processState(pid) ?? (stopped ? 'T' : 'S');
        return (state === 'T') === stopped;
      },
      5_000,
      `${spec.command} did not take ${name}`,
    );
  };

  await start();
  return {
    port: spec.port,
    kill,
    start,
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    async dispose() {
      await kill();
      await spec.cleanup?.();
    },
  };
}

/** The one-letter state of a process (`T` when stopped) where /proc tells it; undefined elsewhere. */
function processState(pid: number): string | undefined {
  try {
    // "pid (comm) S ...": the state follows the last parenthesis (comm may hold one).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const end = stat.lastIndexOf(')');
    return stat.slice(end + 2, end + 3);
  } catch {
    return undefined;
  }
}
