import type { SessionManager } from '@sess/core';
import { sessionMiddleware } from '@sess/express';
import express from 'express';

/** The account routes: who am I, log in, log out, log out everywhere else. */
export function createApp(manager: SessionManager): express.Express {
  const app = express();
  app.use(express.json({ limit: '1kb' }));
  app.use(sessionMiddleware({ manager }));

  app.get('/me', async (req, res) => {
    const { userId } = req.session;
    const sessions = userId ? await req.sessionManager.listForUser(userId) : [];
    res.json({ user: userId ?? null, sessions: sessions.length });
  });

  app.post('/login', (req, res) => {
    const name = String(req.body?.name ?? '').trim();
    if (name.length < 1 || name.length > 64) {
      res.status(400).json({ error: 'A name is 1 to 64 characters.' });
      return;
    }
    req.session.regenerate(); // a new token at login: one planted earlier is worthless
    req.session.userId = name;
    res.redirect(303, '/me'); // the session is saved before this leaves
  });

  app.post('/logout', (req, res) => {
    req.session.destroy();
    res.redirect(303, '/me');
  });

  app.post('/logout-others', async (req, res) => {
    const { userId } = req.session;
    const loggedOut = userId
      ? await req.sessionManager.destroyForUser(userId, { except: req.session })
      : 0;
    res.json({ loggedOut });
  });

  return app;
}
