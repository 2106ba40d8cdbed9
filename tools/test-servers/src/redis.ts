import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ask,
  freePort,
  LOOPBACK,
  manageProcess,
  type PausableProcess,
  pollUntil,
} from './process.js';

export interface RedisServer extends PausableProcess {
  readonly url: string;
}

/**
 * A private redis-server on a free loopback port, with no persistence unless
 * `extraArgs` turn it on. Its working directory is a temp directory of its
 * own, so an AOF or snapshot never lands in (or is loaded from) the caller's
 * working directory.
 */
export async function startRedis(extraArgs: readonly string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'sess-redis-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
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
      '--dir',
      dir,
      ...extraArgs,
    ],
    port,
    cleanup,
    // A server with persistence answers -LOADING until its data is in memory.
    ready: () =>
      pollUntil(
        async () => {
          const reply = await ask(port, 'PING\r\n');
          if (reply.startsWith('+PONG')) return true;
          if (reply.startsWith('-LOADING')) return false;
          throw new Error(`redis-server answered PING with ${reply}`);
        },
        20_000,
        'redis-server did not finish loading its data',
      ),
  }).catch(async (error: unknown) => {
    await cleanup();
    throw error;
  });
  return { ...server, url: `redis://${LOOPBACK}:${port}` };
}
