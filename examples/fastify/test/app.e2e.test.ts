import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkAccountFlows } from '@sess/example-flows';
import { expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { openSessions } from '../src/sessions.js';

it('logs in, logs out everywhere else and logs out, over HTTP, with sessions in SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sess-example-fastify-'));
  const sessions = await openSessions(join(dir, 'sessions.db'));
  const app = await createApp(sessions.manager);
  try {
    await checkAccountFlows(await app.listen({ port: 0, host: '127.0.0.1' }));
    expect(await sessions.manager.store.count?.()).toBe(1); // bob's
  } finally {
    await app.close();
    await sessions.close();
    await rm(dir, { recursive: true, force: true });
  }
});
