import { serve } from '@hono/node-server';
import { createApp } from './app.js';
import { openSessions } from './sessions.js';

const sessions = await openSessions(process.env.SESS_SQLITE ?? './.data/sessions.db');
const port = Number(process.env.PORT ?? 3000);
const server = serve(
  { fetch: createApp(sessions.manager).fetch, port, hostname: '127.0.0.1' },
  () => {
    console.log(`hono example: http://127.0.0.1:${port}/me`);
  },
);
process.once('SIGINT', () => server.close(() => void sessions.close()));
