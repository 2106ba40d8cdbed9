import { randomBytes } from 'node:crypto';
import { startMariadb, startMemcached, startPostgres, startRedis } from '@sess/test-servers';
import mysql from 'mysql2';
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

/** A scratch database, created for the run: where it is, the server's version, and how to drop it. */
export interface Scratch<Where> {
  readonly where: Where;
  readonly version: string;
  /** Drops the database and closes the admin connection. */
  drop(): Promise<void>;
}

/** A scratch database on a PostgreSQL server; `where` is its URL. */
export async function postgresScratch(serverUrl: string): Promise<Scratch<string>> {
  const database = scratchDatabase();
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const { rows } = await admin.query('SHOW server_version');
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return {
    where: url.href,
    version: String(rows[0]?.server_version),
    async drop() {
      await admin.query(`DROP DATABASE ${database}`);
      await admin.end();
    },
  };
}

/** A scratch database on a MySQL server; `where` is the login with the database. */
export async function mysqlScratch(
  login: MysqlLogin,
): Promise<Scratch<MysqlLogin & { database: string }>> {
  const database = scratchDatabase();
  const admin = mysql.createConnection(login).promise();
  await admin.query(`CREATE DATABASE ${database} CHARACTER SET utf8mb4`);
  const [rows] = await admin.query('SELECT VERSION() AS v');
  return {
    where: { ...login, database },
    version: String((rows as Array<{ v: string }>)[0]?.v),
    async drop() {
      await admin.query(`DROP DATABASE ${database}`);
      await admin.end();
    },
  };
}
