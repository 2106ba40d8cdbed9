import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { type GlueApp, listenOnLoopback, type RunningGlue } from '@sess/http/conformance';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type SessionEnv, sessionMiddleware } from '../../src/index.js';

/** Serves a Hono app on a free loopback port with @hono/node-server. */
export function serveHono(app: Hono<SessionEnv>): Promise<RunningGlue> {
  return listenOnLoopback(createAdaptorServer({ fetch: app.fetch }) as Server);
}

/** The glue conformance app on Hono, the way a Hono app is written. */
export function startHono(app: GlueApp): Promise<RunningGlue> {
  const server = new Hono<SessionEnv>();
  server.use(
    sessionMiddleware({ manager: app.manager, cookie: app.cookie, trustProxy: app.trustProxy }),
  );
  server.onError((error, c) => {
    const { status, body } = app.errorReply(error);
    return c.text(body, status as ContentfulStatusCode);
  });
  server.all('*', async (c) => {
    const reply = await app.handle({
      session: c.get('session'),
      method: c.req.method,
      url: c.req.url,
    });
    if (reply.kind === 'json') return c.json(reply.body);
    if (reply.kind === 'redirect') return c.redirect(reply.location, 303);
    const chunks = [...reply.chunks];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = chunks.shift();
        if (chunk === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(chunk));
      },
    });
    return c.body(body, 200, { 'content-type': 'text/plain' });
  });
  return serveHono(server);
}
