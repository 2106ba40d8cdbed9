import type { SessionManager } from '@sess/core';
import { sessionPlugin } from '@sess/fastify';
import Fastify, { type FastifyInstance } from 'fastify';

/** The account routes: who am I, log in, log out, log out everywhere else. */
export async function createApp(manager: SessionManager): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: 1024 });
  await app.register(sessionPlugin, { manager });

  app.get('/me', async (request) => {
    const { userId } = request.session;
    const sessions = userId ? await request.sessionManager.listForUser(userId) : [];
    return { user: userId ?? null, sessions: sessions.length };
  });

  app.post<{ Body: { name?: unknown } }>('/login', async (request, reply) => {
    const name = String(request.body?.name ?? '').trim();
    if (name.length < 1 || name.length > 64) {
      return reply.code(400).send({ error: 'A name is 1 to 64 characters.' });
    }
    request.session.regenerate(); // a new token at login: one planted earlier is worthless
    request.session.userId = name;
    return reply.redirect('/me', 303); // the session is saved before this leaves
  });

  app.post('/logout', async (request, reply) => {
    request.session.destroy();
    return reply.redirect('/me', 303);
  });

  app.post('/logout-others', async (request) => {
    const { userId } = request.session;
    const loggedOut = userId
      ? await request.sessionManager.destroyForUser(userId, { except: request.session })
      : 0;
    return { loggedOut };
  });

  return app;
}
