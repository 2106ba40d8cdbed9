import { randomBytes } from 'node:crypto';
import { startMariadb, startMemcached, startPostgres, startRedis } from '@sess/test-servers';
import pg from 'pg';

/**
 * The servers a backend runs on: private ones started for the run on free
 * loopback ports (the default), or existing ones named in the environment:
 *
 *   SESS_BENCH_REDIS_URL=redis://127.0.0.1:6379
 *   SESS_BENCH_MEMCACHED=127.0.0.1:11211
 *   SESS_BENCH_POSTGRES_URL=postgres://user@127.0.0.1:5432/postgres
 *   SESS_BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306
 *
 * A server from the environment is never stopped. The bench writes there only
 * under its own key prefixes (Redis, Memcached), which its phases empty again,
 * or in a scratch database it creates and drops (PostgreSQL, MySQL).
 */
export interface BenchServer {
  /** Recorded with the results. */
  readonly origin: string;
  dispose(): Promise<void>;
}

const kept = async () => {};

export async function redisServer(): Promise<BenchServer & { url: string }> {
  const url = process.env.SESS_BENCH_REDIS_URL;
  if (url) return { url, origin: 'SESS_BENCH_REDIS_URL', dispose: kept };
  return { ...(await startRedis()), origin: 'private, no persistence' };
}

export async function memcachedServer(args: string[]): Promise<BenchServer & { location: string }> {
  const location = process.env.SESS_BENCH_MEMCACHED;
  if (location) return { location, origin: 'SESS_BENCH_MEMCACHED', dispose: kept };
  return { ...(await startMemcached(args)), origin: `private (${args.join(' ')})` };
}

/** A server-level URL; create a scratch database on it with `scratchDatabase()`. */
export async function postgresServer(): Promise<BenchServer & { url: string }> {
  const url = process.env.SESS_BENCH_POSTGRES_URL;
  if (url) return { url, origin: 'SESS_BENCH_POSTGRES_URL', dispose: kept };
  return { ...(await startPostgres()), origin: 'private, fsync off' };
}

export interface MysqlLogin {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
}

export async function mysqlServer(): Promise<BenchServer & { login: MysqlLogin }> {
  const spec = process.env.SESS_BENCH_MYSQL_URL;
  if (spec) {
    const url = new URL(spec);
    const password = decodeURIComponent(url.password);
    const login = {
      host: url.hostname,
      port: Number(url.port || 3306),
      user: decodeURIComponent(url.username) || 'root',
      ...(password ? { password } : {}),
    };
    return { login, origin: 'SESS_BENCH_MYSQL_URL', dispose: kept };
  }
  const server = await startMariadb();
  return {
    login: { host: server.host, port: server.port, user: server.user },
    origin: 'private, innodb_flush_log_at_trx_commit=2',
    dispose: () => server.dispose(),
  };
}

/** A database name no one else uses: the bench creates it and drops it after the run. */
export function scratchDatabase(): string {
  return `sess_bench_${randomBytes(4).toString('hex')}`;
}

/**
 * A scratch database on a PostgreSQL server (private or from the
 * environment): its URL, and `dispose` to drop it and stop a private server.
 */
export async function postgresScratch(): Promise<BenchServer & { url: string }> {
  const server = await postgresServer();
  const database = scratchDatabase();
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(server.url);
  url.pathname = `/${database}`;
  return {
    url: url.href,
    origin: server.origin,
    async dispose() {
      await admin.query(`DROP DATABASE ${database} WITH (FORCE)`);
      await admin.end();
      await server.dispose();
    },
  };
}
