import type { SessionManager } from '@sess/core';
import { type SessionEnv, sessionMiddleware } from '@sess/hono';
import { Hono } from 'hono';

/** The account routes: who am I, log in, log out, log out everywhere else. */
export function createApp(manager: SessionManager): Hono<SessionEnv> {
  const app = new Hono<SessionEnv>();
  app.use(sessionMiddleware({ manager }));

  app.get('/me', async (c) => {
    const { userId } = c.get('session');
    const sessions = userId ? await c.get('sessionManager').listForUser(userId) : [];
    return c.json({ user: userId ?? null, sessions: sessions.length });
  });

  app.post('/login', async (c) => {
    // JSON only: a cross-site form can send text/plain, never application/json.
    const json = c.req.header('content-type')?.startsWith('application/json');
    const body: { name?: unknown } = json ? await c.req.json().catch(() => ({})) : {};
    const name = String(body.name ?? '').trim();
    if (name.length < 1 || name.length > 64) {
      return c.json({ error: 'A name is 1 to 64 characters.' }, 400);
    }
    const session = c.get('session');
    session.regenerate(); // a new token at login: one planted earlier is worthless
    session.userId = name;
    return c.redirect('/me', 303); // the session is saved before this leaves
  });

  app.post('/logout', (c) => {
    c.get('session').destroy();
    return c.redirect('/me', 303);
  });

  app.post('/logout-others', async (c) => {
    const session = c.get('session');
    const loggedOut = session.userId
      ? await c.get('sessionManager').destroyForUser(session.userId, { except: session })
      : 0;
    return c.json({ loggedOut });
  });

  return app;
}
