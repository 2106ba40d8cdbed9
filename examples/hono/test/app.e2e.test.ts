import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { checkAccountFlows } from '@sess/example-flows';
import { listenOnLoopback } from '@sess/http/conformance';
import { expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { openSessions } from '../src/sessions.js';

it('logs in, logs out everywhere else and logs out, over HTTP, with sessions in SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sess-example-hono-'));
  const sessions = await openSessions(join(dir, 'sessions.db'));
  const server = await listenOnLoopback(
    createAdaptorServer({ fetch: createApp(sessions.manager).fetch }) as Server,
  );
  try {
    await checkAccountFlows(server.url);
    expect(await sessions.manager.store.count?.()).toBe(1); // bob's
  } finally {
    await server.close();
    await sessions.close();
    await rm(dir, { recursive: true, force: true });
  }
});
