import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningGlue } from './options.js';

/**
 * What `start` resolves to for a node:http server (Express, Connect, Hono's
 * node-server, your own): a server not yet listening is started on a free
 * loopback port; `close` ends its keep-alive connections too.
 *
 * @example
 * start: (app) => listenOnLoopback(createServer(myHandler(app)))
 */
export async function listenOnLoopback(server: Server): Promise<RunningGlue> {
  if (!server.listening) {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  }
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
