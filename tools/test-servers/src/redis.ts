import { ask, freePort, LOOPBACK, manageProcess, type PausableProcess } from './process.js';

export interface RedisServer extends PausableProcess {
  readonly url: string;
}

/** A private redis-server on a free loopback port, with no persistence. */
export async function startRedis(extraArgs: readonly string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const server = await manageProcess({
    command: 'redis-server',
    args: [
      '--bind',
      LOOPBACK,
      '--port',
      String(port),
      '--save',
      '',
      '--appendonly',
      'no',
      ...extraArgs,
    ],
    port,
    ready: async () => {
      const reply = await ask(port, 'PING\r\n');
      if (!reply.startsWith('+PONG')) throw new Error(`redis-server answered PING with ${reply}`);
    },
  });
  return { ...server, url: `redis://${LOOPBACK}:${port}` };
}
