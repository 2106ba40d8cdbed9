import { createServer, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import {
  type GlueApp,
  type GlueReply,
  listenOnLoopback,
  type RunningGlue,
} from '@sess/http/conformance';
import connect from 'connect';
import type { ErrorRequestHandler, Express, RequestHandler } from 'express';
import { sessionMiddleware } from '../../src/index.js';

/** Express 4 and 5 share one API for what the suite needs. */
export type ExpressFactory = () => Express;

/** The glue conformance app on Express, the way an Express app is written. */
export async function startExpress(createApp: ExpressFactory, app: GlueApp): Promise<RunningGlue> {
  const server = createApp();
  if (app.trustProxy) server.set('trust proxy', 'loopback');
  server.use(sessionMiddleware({ manager: app.manager, cookie: app.cookie }));
  const routes: RequestHandler = async (req, res, next) => {
    try {
      const reply = await app.handle({
        session: req.session,
        method: req.method,
        url: req.originalUrl,
      });
      if (reply.kind === 'json') res.json(reply.body);
      else if (reply.kind === 'redirect') res.redirect(303, reply.location);
      else Readable.from(reply.chunks).pipe(res.type('text/plain'));
    } catch (error) {
      next(error);
    }
  };
  const errors: ErrorRequestHandler = (error, _req, res, _next) => {
    const { status, body } = app.errorReply(error);
    res.status(status).type('text/plain').send(body);
  };
  server.use(routes);
  server.use(errors);
  return listenOnLoopback(createServer(server));
}

/** The same app on Connect, with only node:http's response API. */
export async function startConnect(app: GlueApp): Promise<RunningGlue> {
  const server = connect();
  server.use(sessionMiddleware({ manager: app.manager, cookie: app.cookie }));
  server.use((req, res, next) => {
    const { session } = req as typeof req & Express.Request;
    app
      .handle({ session, method: req.method ?? 'GET', url: req.originalUrl ?? '/' })
      .then((reply) => send(res, reply), next);
  });
  server.use((error: unknown, _req: unknown, res: ServerResponse, _next: unknown) => {
    const { status, body } = app.errorReply(error);
    res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
  });
  return listenOnLoopback(createServer(server));
}

function send(res: ServerResponse, reply: GlueReply): void {
  if (reply.kind === 'json') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(reply.body));
  } else if (reply.kind === 'redirect') {
    res.writeHead(303, { location: reply.location }).end();
  } else {
    res.setHeader('content-type', 'text/plain');
    Readable.from(reply.chunks).pipe(res);
  }
}
