import {
  type SessionInfo,
  type SessionManager,
  StoreUnavailableError,
  UnsupportedOperationError,
} from '@sess/core';
import { sessionMiddleware } from '@sess/express';
import express, {
  type ErrorRequestHandler,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import { homePage } from './pages.js';

/** What the demo keeps in a session. */
export type DemoData = {
  visits: number;
  user: string;
  device: string;
  loginAt: Date;
  flash: string;
};

declare module '@sess/express' {
  interface SessionData extends DemoData {}
}

export interface AppOptions {
  readonly manager: SessionManager<DemoData>;
  /** Shown on the page. */
  readonly storeDescription: string;
  /** Believe `X-Forwarded-Proto` from the proxy in front (one hop). */
  readonly trustProxy: boolean;
}

/** The demo as an Express app: every route reads `req.session`, which @sess/express saves before replying. */
export function createApp(options: AppOptions): express.Express {
  const { manager } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ? 1 : false);
  app.use((_req, res, next) => {
    res.set({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    next();
  });
  // A URL that cannot be decoded is the client's error, answered before any session work.
  app.use((req, res, next) => {
    try {
      decodeURIComponent(req.path);
    } catch {
      res.status(400).type('text').send('The request URL could not be read.');
      return;
    }
    next();
  });
  // Behind a TLS proxy the cookie is `__Host-sess`: Secure, host-only and Path=/, which a
  // sibling subdomain or a plain-http page cannot set or overwrite.
  app.use(
    sessionMiddleware({ manager, cookie: { name: options.trustProxy ? '__Host-sess' : 'sess' } }),
  );

  async function sessionsOf(req: Request): Promise<SessionInfo<DemoData>[]> {
    const { userId } = req.session;
    if (userId === undefined) return [];
    try {
      return await manager.listForUser(userId, { includeData: true });
    } catch (error) {
      if (error instanceof UnsupportedOperationError) return [];
      throw error;
    }
  }

  const home: RequestHandler = async (req, res) => {
    const { session } = req;
    // An anonymous page view costs no write: only a session that already
    // exists (one starts at login) counts its visits.
    const visits = session.isNew ? undefined : (session.get('visits') ?? 0) + 1;
    if (visits !== undefined) session.set('visits', visits);
    const flash = session.get('flash');
    if (flash !== undefined) session.delete('flash');
    res
      .set(
        'content-security-policy',
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      )
      .type('html')
      .send(
        homePage({
          visits,
          user: session.userId,
          flash,
          currentId: session.id,
          sessions: await sessionsOf(req),
          usersSupported: manager.store.capabilities.users,
          store: options.storeDescription,
        }),
      );
  };

  const state: RequestHandler = async (req, res) => {
    const { session } = req;
    res.json({
      visits: session.get('visits') ?? 0,
      user: session.userId ?? null,
      sessionId: session.id ?? null,
      sessions: (await sessionsOf(req)).map((s) => ({
        id: s.id,
        current: s.id === session.id,
        device: s.data?.device ?? null,
        createdAt: s.createdAt,
        expiresAt: s.expiresAt,
      })),
    });
  };

  const login: RequestHandler = (req, res) => {
    const name = String(req.body?.name ?? '').trim();
    if (name.length < 1 || name.length > 64) {
      res.status(400).type('text').send('A name is 1 to 64 characters.');
      return;
    }
    // A new token at login: any token known before (planted by an attacker,
    // seen on a shared machine) is worthless from here on.
    req.session.regenerate();
    req.session.userId = name;
    req.session.set('device', (req.get('user-agent') ?? 'unknown device').slice(0, 120));
    req.session.set('loginAt', new Date());
    res.redirect(303, '/');
  };

  const logout: RequestHandler = (req, res) => {
    req.session.destroy();
    res.redirect(303, '/');
  };

  const logoutOthers: RequestHandler = async (req, res) => {
    const { session } = req;
    if (session.userId !== undefined) {
      try {
        const count = await req.sessionManager.destroyForUser(session.userId, { except: session });
        session.set('flash', `Signed out ${count} other session${count === 1 ? '' : 's'}.`);
      } catch (error) {
        if (!(error instanceof UnsupportedOperationError)) throw error;
        session.set('flash', 'This store cannot find sessions by user.');
      }
    }
    res.redirect(303, '/');
  };

  const forms = [sameOrigin, express.urlencoded({ extended: false, limit: '4kb' })];
  const notAllowed: RequestHandler = (_req, res) => {
    res.status(405).type('text').send('Method not allowed.');
  };
  app.route('/').get(home).all(notAllowed);
  app.route('/state').get(state).all(notAllowed);
  app.route('/login').post(forms, login).all(notAllowed);
  app.route('/logout').post(forms, logout).all(notAllowed);
  app.route('/logout-others').post(forms, logoutOthers).all(notAllowed);
  app.use((_req, res) => {
    res.status(404).type('text').send('Not found.');
  });
  app.use(errors);
  return app;
}

/** A browser sends Origin on POST; when it names another site, the post is refused. */
function sameOrigin(req: Request, res: Response, next: () => void): void {
  const origin = req.get('origin');
  let same = origin === undefined;
  try {
    same ||= new URL(origin ?? '').host === req.get('host');
  } catch {
    same = false;
  }
  if (same) next();
  else res.status(403).type('text').send('Cross-origin form posts are refused.');
}

const errors: ErrorRequestHandler = (error, _req, res, _next) => {
  if (error instanceof StoreUnavailableError) {
    res.status(503).type('text').send('The session store is unavailable; try again shortly.');
    return;
  }
  const status = (error as { status?: unknown }).status;
  if (status === 413 || status === 400) {
    res.status(status).type('text').send('The form could not be read.');
    return;
  }
  // Log the kind of failure only: never session data or tokens.
  console.error(`demo: request failed: ${(error as Error)?.name ?? 'error'}`);
  res.status(500).type('text').send('Something went wrong.');
};
