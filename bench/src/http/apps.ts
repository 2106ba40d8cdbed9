/**
 * The apps the end-to-end bench serves, one per target, each with the same
 * routes: `POST /login?user=…` (a logged-in session of about 350 bytes),
 * `GET /read` (reads it) and `POST /write` (counts a visit in it).
 */
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { type Session, SessionManager, type SessionStore } from '@sess/core';
import { sessionMiddleware } from '@sess/express';
import { sessionPlugin } from '@sess/fastify';
import { RedisStore } from '@sess/redis';
import { SqlStore, sqliteConfig } from '@sess/sql';
import Database from 'better-sqlite3';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import Fastify from 'fastify';
import knexFactory from 'knex';
import pg from 'pg';
import { createClient } from 'redis';
import { DAY_MS, PROFILE, type ServerConfig } from './config.js';

const require = createRequire(import.meta.url);
const SECRET = 'an end-to-end bench secret of 32+ characters';

/**
 * A running app: where it listens, and how to stop listening. Its store
 * clients stay open: requests cut off when the load generator stops may
 * still be talking to the store, and the server process exits right after
 * (its sockets close with it).
 */
export interface RunningApp {
  readonly port: number;
  close(): Promise<void>;
}

/** A node-redis client, connected; sess and connect-redis each get their own. */
async function redisClient({ backend }: ServerConfig) {
  const client = createClient({ url: backend.redisUrl ?? '' });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** Opens a sess store on the backend. */
async function sessStore(config: ServerConfig): Promise<SessionStore> {
  const { backend, namespace } = config;
  if (backend.name === 'redis') {
    return new RedisStore({ client: await redisClient(config), prefix: `http:${namespace}:` });
  }
  const knex = knexFactory(
    backend.name === 'sqlite'
      ? sqliteConfig(backend.sqliteFile ?? '')
      : { client: 'pg', connection: backend.postgresUrl ?? '', pool: { min: 2, max: 10 } },
  );
  const store = new SqlStore({ knex, table: `sess_${namespace}` });
  await store.ensureSchema();
  return store;
}

/** Opens the connect-* store express-session and @fastify/session use on the backend. */
async function peerStore(config: ServerConfig): Promise<session.Store> {
  const { backend, namespace } = config;
  if (backend.name === 'redis') {
    return new ConnectRedisStore({
      client: await redisClient(config),
      prefix: `peer:${namespace}:`,
    });
  }
  if (backend.name === 'postgres') {
    const pool = new pg.Pool({ connectionString: backend.postgresUrl, max: 10 });
    const PgSession = require('connect-pg-simple')(session) as new (
      options: unknown,
    ) => session.Store & { close(): void };
    // A schema of its own: the table it creates always names its index IDX_session_expire.
    await pool.query(`CREATE SCHEMA pgs_${namespace}`);
    const store = new PgSession({
      pool,
      schemaName: `pgs_${namespace}`,
      createTableIfMissing: true,
      pruneSessionInterval: false,
    });
    return store;
  }
  const db = new Database(backend.sqliteFile ?? '');
  // The settings @sess/sql's sqliteConfig gives SQLite, so both stand on the same footing.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 2000');
  const SqliteStore = require('better-sqlite3-session-store')(session) as new (
    options: unknown,
  ) => object;
  // Its constructor starts a sweep timer; no sweep is due during a run.
  const NoTimer = class extends SqliteStore {
    startInterval() {}
  };
  return new NoTimer({ client: db }) as unknown as session.Store;
}

type SessData = { visits: number; profile: string };

// express-session and @fastify/session, in this same program, declare
// `session` on the request too: the sess apps say which one they mean.
const sessOf = (request: { session: unknown }) => request.session as Session<SessData>;

function expressApp(config: ServerConfig, sessions: 'none' | 'sess' | 'peer', store?: unknown) {
  const app = express();
  app.disable('x-powered-by');
  const rolling = config.workload === 'rolling';
  let visits = 0;
  let users = 0;
  if (sessions === 'none') {
    app.post('/login', (_req, res) => {
      res.json({ user: 'anonymous' });
    });
    app.get('/read', (_req, res) => {
      res.json({ user: 'anonymous', visits });
    });
    app.post('/write', (_req, res) => {
      res.json({ user: 'anonymous', visits: ++visits });
    });
  } else if (sessions === 'sess') {
    const manager = new SessionManager<SessData>({
      store: store as SessionStore,
      idleTimeoutMs: DAY_MS,
      ...(rolling ? { renewWhenRemainingMs: DAY_MS } : {}),
    });
    app.use(sessionMiddleware({ manager }));
    app.post('/login', (req, res) => {
      const current = sessOf(req);
      current.regenerate();
      current.userId = `user-${++users}`;
      current.set('profile', PROFILE).set('visits', 0);
      res.json({ user: current.userId });
    });
    app.get('/read', (req, res) => {
      const current = sessOf(req);
      res.json({ user: current.userId ?? null, visits: current.get('visits') ?? 0 });
    });
    app.post('/write', (req, res) => {
      const current = sessOf(req);
      const count = (current.get('visits') ?? 0) + 1;
      current.set('visits', count);
      res.json({ user: current.userId ?? null, visits: count });
    });
  } else {
    app.use(
      session({
        store: store as session.Store,
        secret: SECRET,
        resave: false,
        saveUninitialized: false,
        rolling,
        cookie: { maxAge: DAY_MS, httpOnly: true, sameSite: 'lax' },
      }),
    );
    type Fields = { user?: string; profile?: string; visits?: number };
    const fields = (req: express.Request) => req.session as unknown as Fields;
    app.post('/login', (req, res) => {
      const user = `user-${++users}`;
      Object.assign(fields(req), { user, profile: PROFILE, visits: 0 });
      res.json({ user });
    });
    app.get('/read', (req, res) => {
      res.json({ user: fields(req).user ?? null, visits: fields(req).visits ?? 0 });
    });
    app.post('/write', (req, res) => {
      const data = fields(req);
      data.visits = (data.visits ?? 0) + 1;
      res.json({ user: data.user ?? null, visits: data.visits });
    });
  }
  return app;
}

async function fastifyApp(
  config: ServerConfig,
  sessions: 'none' | 'sess' | 'peer',
  store?: unknown,
) {
  const app = Fastify();
  const rolling = config.workload === 'rolling';
  let visits = 0;
  let users = 0;
  if (sessions === 'none') {
    app.post('/login', async () => ({ user: 'anonymous' }));
    app.get('/read', async () => ({ user: 'anonymous', visits }));
    app.post('/write', async () => ({ user: 'anonymous', visits: ++visits }));
  } else if (sessions === 'sess') {
    const manager = new SessionManager<SessData>({
      store: store as SessionStore,
      idleTimeoutMs: DAY_MS,
      ...(rolling ? { renewWhenRemainingMs: DAY_MS } : {}),
    });
    await app.register(sessionPlugin, { manager });
    app.post('/login', async (request) => {
      const current = sessOf(request);
      current.regenerate();
      current.userId = `user-${++users}`;
      current.set('profile', PROFILE).set('visits', 0);
      return { user: current.userId };
    });
    app.get('/read', async (request) => ({
      user: sessOf(request).userId ?? null,
      visits: sessOf(request).get('visits') ?? 0,
    }));
    app.post('/write', async (request) => {
      const current = sessOf(request);
      const count = (current.get('visits') ?? 0) + 1;
      current.set('visits', count);
      return { user: current.userId ?? null, visits: count };
    });
  } else {
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      store: store as never,
      secret: SECRET,
      saveUninitialized: false,
      // Its default (true) saves the whole session on every request; read-mostly
      // gets the cheaper setting, and rolling the one that renews the record.
      rolling,
      cookie: { maxAge: DAY_MS, httpOnly: true, sameSite: 'lax', secure: false },
    });
    type Bag = { get(key: string): unknown; set(key: string, value: unknown): void };
    const bag = (request: { session: unknown }) => request.session as Bag;
    app.post('/login', async (request) => {
      const data = bag(request);
      const user = `user-${++users}`;
      data.set('user', user);
      data.set('profile', PROFILE);
      data.set('visits', 0);
      return { user };
    });
    app.get('/read', async (request) => ({
      user: bag(request).get('user') ?? null,
      visits: bag(request).get('visits') ?? 0,
    }));
    app.post('/write', async (request) => {
      const data = bag(request);
      const count = Number(data.get('visits') ?? 0) + 1;
      data.set('visits', count);
      return { user: data.get('user') ?? null, visits: count };
    });
  }
  return app;
}

/** Builds the target's app on its store and starts it on a free loopback port. */
export async function startApp(config: ServerConfig): Promise<RunningApp> {
  const [framework, kind] = config.target.split('-') as ['express' | 'fastify', string];
  const sessions = kind === 'none' ? 'none' : kind === 'sess' ? 'sess' : 'peer';
  const store =
    sessions === 'none'
      ? undefined
      : sessions === 'sess'
        ? await sessStore(config)
        : await peerStore(config);

  if (framework === 'fastify') {
    const app = await fastifyApp(config, sessions, store);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return {
      port: (app.server.address() as { port: number }).port,
      close: () => app.close(),
    };
  }
  const server: Server = createServer(expressApp(config, sessions, store));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
