import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkAccountFlows } from '@sess/example-flows';
import { listenOnLoopback } from '@sess/http/conformance';
import { expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { openSessions } from '../src/sessions.js';

it('logs in, logs out everywhere else and logs out, over HTTP, with sessions in SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sess-example-express-'));
  const sessions = await openSessions(join(dir, 'sessions.db'));
  const server = await listenOnLoopback(createServer(createApp(sessions.manager)));
  try {
    await checkAccountFlows(server.url);
    expect(await sessions.manager.store.count?.()).toBe(1); // bob's
  } finally {
    await server.close();
    await sessions.close();
    await rm(dir, { recursive: true, force: true });
  }
});
