import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SessionManager } from '@sess/core';
import { createApp, type DemoData } from './app.js';
import { DEFAULT_STORE_URL, openStore } from './stores.js';

export interface DemoOptions {
  /** Port on the loopback interface; 0 picks a free one. Default 3000. */
  readonly port?: number;
  /** Where sessions live (`SESS_STORE`). Default: `DEFAULT_STORE_URL`. */
  readonly storeUrl?: string;
  /** Believe `X-Forwarded-Proto` from a TLS-terminating proxy in front. */
  readonly trustProxy?: boolean;
}

export interface RunningDemo {
  /** Where to open it. */
  readonly url: string;
  readonly storeDescription: string;
  readonly manager: SessionManager<DemoData>;
  close(): Promise<void>;
}

const SWEEP_EVERY_MS = 60_000;

/** Starts the demo on 127.0.0.1 with the store `storeUrl` names. */
export async function startDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const opened = await openStore(options.storeUrl ?? DEFAULT_STORE_URL);
  const { store } = opened;
  const manager = new SessionManager<DemoData>({
    store,
    idleTimeoutMs: 30 * 60_000,
    absoluteTimeoutMs: 12 * 3_600_000,
  });
  const handle = createApp({
    manager,
    storeDescription: opened.description,
    trustProxy: options.trustProxy ?? false,
  });
  const server = createServer((request, response) => {
    void handle(request, response);
  });
  // Stores that filter expired records on read free them when swept.
  const sweeper =
    store.capabilities.expiry === 'sweep' && store.clearExpired
      ? setInterval(() => {
          store.clearExpired?.().catch(() => {});
        }, SWEEP_EVERY_MS).unref()
      : undefined;

  try {
    await listen(server, options.port ?? 3000);
  } catch (error) {
    clearInterval(sweeper);
    await opened.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    storeDescription: opened.description,
    manager,
    async close() {
      clearInterval(sweeper);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await opened.close();
    },
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
