import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseCookie } from 'cookie';
import {
  type GlueApp,
  type GlueReply,
  listenOnLoopback,
  type RunningGlue,
} from '../../src/conformance/index.js';
import { type RequestSession, SessionHttp } from '../../src/index.js';

/** A rule a broken glue breaks, to prove the suite notices. */
export type GlueFault =
  | 'commits after the response is sent'
  | 'commits the session of a failed request'
  | 'trusts X-Forwarded-Proto without being told to'
  | 'lets the first of two session cookies win'
  | 'answers 200 with a fresh session when the store is down'
  | 'ignores its cookie options'
  | 'sends the cookie twice';

/**
 * A node:http glue on `SessionHttp`, with switchable faults. Without faults
 * it is a complete glue: load, answer, commit before the first byte.
 */
export async function startNodeGlue(
  app: GlueApp,
  faults: ReadonlySet<GlueFault> = new Set(),
): Promise<RunningGlue> {
  const http = new SessionHttp({
    manager: app.manager,
    cookie: faults.has('ignores its cookie options') ? {} : app.cookie,
  });
  const trustProxy = app.trustProxy || faults.has('trusts X-Forwarded-Proto without being told to');

  const fail = (response: ServerResponse, error: unknown) => {
    const { status, body } = app.errorReply(error);
    response.writeHead(status, { 'content-type': 'text/plain' }).end(body);
  };

  async function open(request: IncomingMessage): Promise<RequestSession> {
    let header = request.headers.cookie;
    if (faults.has('lets the first of two session cookies win') && header) {
      header = `sess=${parseCookie(header).sess ?? ''}`;
    }
    try {
      return await http.open(header);
    } catch (error) {
      if (!faults.has('answers 200 with a fresh session when the store is down')) throw error;
      return http.open(undefined);
    }
  }

  const server = createServer(async (request, response) => {
    const secure = trustProxy && request.headers['x-forwarded-proto'] === 'https';
    let opened: RequestSession;
    let reply: GlueReply;
    try {
      opened = await open(request);
    } catch (error) {
      return fail(response, error);
    }
    try {
      reply = await app.handle({
        session: opened.session,
        method: request.method ?? 'GET',
        url: request.url ?? '/',
      });
    } catch (error) {
      if (faults.has('commits the session of a failed request')) {
        const cookie = await opened.commit({ status: 200, secure });
        if (cookie) response.setHeader('set-cookie', cookie.header);
      }
      return fail(response, error);
    }
    if (faults.has('commits after the response is sent')) {
      response.once('finish', () => {
        opened.commit({ status: 200, secure }).catch(() => {});
      });
    } else {
      try {
        const cookie = await opened.commit({ status: 200, secure });
        if (cookie) {
          const header = faults.has('sends the cookie twice')
            ? [cookie.header, cookie.header]
            : cookie.header;
          response.setHeader('set-cookie', header);
        }
      } catch (error) {
        if (!faults.has('answers 200 with a fresh session when the store is down')) {
          return fail(response, error);
        }
      }
    }
    send(response, reply);
  });
  return listenOnLoopback(server);
}

function send(response: ServerResponse, reply: GlueReply): void {
  switch (reply.kind) {
    case 'json':
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(reply.body));
      return;
    case 'redirect':
      response.writeHead(303, { location: reply.location }).end();
      return;
    case 'stream':
      response.writeHead(200, { 'content-type': 'text/plain' });
      for (const chunk of reply.chunks) response.write(chunk);
      response.end();
  }
}
