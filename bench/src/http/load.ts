import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { ServerConfig, Workload } from './config.js';

/** Concurrent connections, each a logged-in user with a session of its own. */
export const CONNECTIONS = 64;

export interface BenchServer {
  readonly url: string;
  /** The server process's CPU time so far (user + system), in µs. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts the target's server in a child process (the load generator keeps this one). */
export async function startServer(config: ServerConfig): Promise<BenchServer> {
  const file = fileURLToPath(new URL('./server.ts', import.meta.url));
  const child = fork(file, [JSON.stringify(config)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  const port = await Promise.race([
    once(child, 'message').then(([message]) => (message as { port: number }).port),
    exited.then(([code]) => {
      throw new Error(`The ${config.target} server exited (${code}) before listening.`);
    }),
  ]);
  return {
    url: `http://127.0.0.1:${port}`,
    async cpuMicros() {
      child.send('cpu');
      const [message] = await once(child, 'message');
      const { cpu } = message as { cpu: NodeJS.CpuUsage };
      return cpu.user + cpu.system;
    },
    async stop() {
      child.send('stop');
      await exited;
    },
  };
}

/** Logs in one user per connection and returns each one's `Cookie` header. */
export async function logIn(url: string, expectUsers: boolean): Promise<string[]> {
  const cookies: string[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const user = `user-${i}`;
    const login = await fetch(`${url}/login?user=${user}`, { method: 'POST' });
    await login.arrayBuffer();
    const cookie = login.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    // Check the session really is there: a bench of a broken login measures nothing.
    const read = await fetch(`${url}/read`, { headers: { cookie } });
    const body = (await read.json()) as { user: string | null };
    if (read.status !== 200 || body.user !== (expectUsers ? user : 'anonymous')) {
      throw new Error(
        `Login of ${user} did not stick: login ${login.status} set ${JSON.stringify(login.headers.getSetCookie())}, read ${read.status} ${JSON.stringify(body)}.`,
      );
    }
    cookies.push(cookie);
  }
  return cookies;
}

export interface LoadResult {
  readonly requestsPerSec: number;
  /** The server's CPU time per request, in µs: steadier than req/s on a shared machine. */
  readonly cpuPerRequestUs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Errors, timeouts and non-2xx answers: any makes the cell suspect. */
  readonly failures: number;
}

/**
 * Drives the server with autocannon for `seconds`, every connection sending
 * its own session cookie. `read-mostly`: nine `GET /read` for each
 * `POST /write`; `rolling`: `GET /read` only, on a server that renews every
 * session on every request.
 */
export async function drive(
  server: BenchServer,
  workload: Workload,
  cookies: readonly string[],
  seconds: number,
): Promise<LoadResult> {
  const { url } = server;
  const read = { method: 'GET' as const, path: '/read' };
  const requests =
    workload === 'read-mostly'
      ? [...Array.from({ length: 9 }, () => read), { method: 'POST' as const, path: '/write' }]
      : [read];
  let next = 0;
  const cpuBefore = await server.cpuMicros();
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests,
    setupClient(client) {
      const cookie = cookies[next++ % cookies.length] ?? '';
      client.setRequests(requests.map((request) => ({ ...request, headers: { cookie } })));
    },
  });
  const cpu = (await server.cpuMicros()) - cpuBefore;
  return {
    requestsPerSec: result.requests.average,
    cpuPerRequestUs: cpu / Math.max(1, result.requests.total),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.errors + result.timeouts + result.non2xx,
  };
}
