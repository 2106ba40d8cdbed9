import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SessionManager } from '@sess/core';
import type { Express } from 'express';
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
  const app = createApp({
    manager,
    storeDescription: opened.description,
    trustProxy: options.trustProxy ?? false,
  });
  let server: Server | undefined;
  // Stores that filter expired records on read free them when swept.
  const sweeper =
    store.capabilities.expiry === 'sweep' && store.clearExpired
      ? setInterval(() => {
          store.clearExpired?.().catch(() => {});
        }, SWEEP_EVERY_MS).unref()
      : undefined;

  try {
    server = await listen(app, options.port ?? 3000);
  } catch (error) {
    clearInterval(sweeper);
    await opened.close();
    throw error;
  }
  const running = server;
  const { port } = running.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    storeDescription: opened.description,
    manager,
    async close() {
      clearInterval(sweeper);
      await new Promise<void>((resolve) => {
        running.close(() => resolve());
        running.closeAllConnections();
      });
      await opened.close();
    },
  };
}

function listen(app: Express, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, '127.0.0.1', (error?: Error) => {
      if (error) reject(error);
      else resolve(server);
    });
  });
}
