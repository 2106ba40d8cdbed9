import { ask, freePort, LOOPBACK, manageProcess, type PausableProcess } from './process.js';

export interface MemcachedServer extends PausableProcess {
  readonly location: string;
}

/** A private memcached on a free loopback port (`-U 0`: no UDP). */
export async function startMemcached(extraArgs: readonly string[] = []): Promise<MemcachedServer> {
  const port = await freePort();
  const user = process.getuid?.() === 0 ? ['-u', 'root'] : [];
  const server = await manageProcess({
    command: 'memcached',
    args: ['-l', LOOPBACK, '-p', String(port), '-U', '0', ...user, ...extraArgs],
    port,
    ready: async () => {
      const reply = await ask(port, 'version\r\n');
      if (!reply.startsWith('VERSION')) throw new Error(`memcached answered version with ${reply}`);
    },
  });
  return { ...server, location: `${LOOPBACK}:${port}` };
}
