import { Readable } from 'node:stream';
import fastifyCookie from '@fastify/cookie';
import type { GlueApp, RunningGlue } from '@sess/http/conformance';
import Fastify from 'fastify';
import { sessionPlugin } from '../../src/index.js';

/** Where `@fastify/cookie` goes, if anywhere: before or after the session plugin. */
export type CookiePlugin = 'none' | 'before' | 'after';

/** The glue conformance app on Fastify, the way a Fastify app is written. */
export async function startFastify(
  app: GlueApp,
  cookiePlugin: CookiePlugin = 'none',
): Promise<RunningGlue> {
  const server = Fastify({ trustProxy: app.trustProxy });
  if (cookiePlugin === 'before') await server.register(fastifyCookie);
  await server.register(sessionPlugin, { manager: app.manager, cookie: app.cookie });
  if (cookiePlugin === 'after') await server.register(fastifyCookie);
  server.setErrorHandler((error, _request, reply) => {
    const { status, body } = app.errorReply(error);
    return reply.code(status).type('text/plain').send(body);
  });
  server.all('/*', async (request, reply) => {
    const answer = await app.handle({
      session: request.session,
      method: request.method,
      url: request.url,
    });
    if (answer.kind === 'json') return answer.body;
    if (answer.kind === 'redirect') return reply.redirect(answer.location, 303);
    return reply.type('text/plain').send(Readable.from(answer.chunks));
  });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const { port } = server.server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}
