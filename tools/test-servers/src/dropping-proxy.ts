import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { LOOPBACK } from './process.js';

export interface DroppingProxy {
  /** The loopback port clients connect to instead of the server's. */
  readonly port: number;
  /**
   * Drops every byte from now on, silently, as a broken network path does:
   * nothing is closed or refused, requests just get no answer, and new
   * connections are accepted but never reach the server. Connections open
   * during the drop stay dead after `restore()`, like TCP connections whose
   * retransmissions have backed off for minutes.
   */
  drop(): void;
  /** New connections reach the server again. */
  restore(): void;
  /** Closes every connection and the proxy. */
  dispose(): Promise<void>;
}

/** A TCP proxy on a free loopback port in front of `target`, which tests can make drop bytes. */
export async function startDroppingProxy(target: {
  host?: string;
  port: number;
}): Promise<DroppingProxy> {
  const host = target.host ?? LOOPBACK;
  if (host !== LOOPBACK && host !== 'localhost') {
    throw new Error('The proxy only forwards to loopback addresses.');
  }
  let dropping = false;
  const live = new Set<{ client: Socket; upstream: Socket; dead: boolean }>();
  const all = new Set<Socket>();
  const track = (socket: Socket) => {
    all.add(socket);
    socket.on('close', () => all.delete(socket));
    socket.on('error', () => socket.destroy());
  };

  const server = createServer((client) => {
    track(client);
    if (dropping) {
      client.on('data', () => {}); // read and discard
      return;
    }
    const upstream = connect(target.port, host);
    track(upstream);
    const pair = { client, upstream, dead: false };
    live.add(pair);
    const forward = (from: Socket, to: Socket) => {
      from.on('data', (chunk: Buffer) => {
        if (!pair.dead) to.write(chunk);
      });
      from.on('end', () => {
        if (!pair.dead) to.end();
      });
      from.on('close', () => {
        live.delete(pair);
        if (!pair.dead) to.destroy();
      });
    };
    forward(client, upstream);
    forward(upstream, client);
  });
  server.listen(0, LOOPBACK);
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('No port was assigned.');

  return {
    port: address.port,
    drop() {
      dropping = true;
      for (const pair of live) pair.dead = true;
      live.clear();
    },
    restore() {
      dropping = false;
    },
    async dispose() {
      for (const socket of all) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
