import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

/** Listens on a free loopback port; `close` ends kept-alive connections too. */
export async function listen(app: Express): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** One browser: keeps the session cookie the server sets, sends it back. */
export class Browser {
  cookie: string | undefined;
  /** The Set-Cookie of the last response, if any. */
  lastSetCookie: string | undefined;

  constructor(readonly base: string) {}

  async request(path: string, method = 'GET'): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: this.cookie ? { cookie: this.cookie } : {},
    });
    const [set] = response.headers.getSetCookie();
    this.lastSetCookie = set;
    // The pair before the first ";" is what a browser sends back.
    if (set) this.cookie = set.split(';')[0];
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }
}
