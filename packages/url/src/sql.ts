import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InvalidOptionError } from '@sess/core';
import { withTimeout } from '@sess/core/store-kit';
import type * as Sql from '@sess/sql';
import type { Knex } from 'knex';
import { load } from './adapters.js';
import { type Credentials, credentialsOf, type StoreUrl } from './parse.js';
import type { Opened, OpenStoreOptions, StoreBackend } from './types.js';

type Dialect = 'sqlite' | 'postgres' | 'mysql';

/** `SqlStore`'s default table. */
const DEFAULT_TABLE = 'sess_sessions';

const DRIVERS: Record<Dialect, string> = {
  sqlite: 'better-sqlite3',
  postgres: 'pg',
  mysql: 'mysql2',
};

// knex would print its warnings to the console, in the middle of a command's output.
const quiet = { warn() {}, error() {}, deprecate() {}, debug() {} };

function dialectOf(url: StoreUrl): Dialect {
  if (url.scheme === 'sqlite') return 'sqlite';
  if (url.scheme === 'postgres' || url.scheme === 'postgresql') return 'postgres';
  return 'mysql';
}

function databaseName(url: StoreUrl): string | undefined {
  const name = url.path.replace(/^\//, '');
  return name === '' ? undefined : name;
}

async function knexConfig(
  sql: typeof Sql,
  url: StoreUrl,
  dialect: Dialect,
  secrets: Credentials,
  options: OpenStoreOptions,
  timeoutMs: number,
): Promise<Knex.Config> {
  const pool = { min: 0, max: url.options.pool ?? 10 };
  const server = url.hosts[0] as { host: string; port: number };
  switch (dialect) {
    case 'sqlite': {
      const file = url.path;
      const mode = options.mode ?? 'use';
      if (file !== ':memory:') {
        if (mode === 'create') await mkdir(dirname(file), { recursive: true });
        else if (!(await stat(file).catch(() => undefined))?.isFile()) {
          throw new InvalidOptionError(`The SQLite database ${url.description} does not exist.`);
        }
      }
      const config = sql.sqliteConfig(file, { busyTimeoutMs: timeoutMs, wal: mode !== 'inspect' });
      return { ...config, log: quiet };
    }
    case 'postgres': {
      const auth = secrets.username
        ? `${encodeURIComponent(secrets.username)}${secrets.password ? `:${encodeURIComponent(secrets.password)}` : ''}@`
        : '';
      const host = server.host.includes(':') ? `[${server.host}]` : server.host;
      const query = url.options.sslmode
        ? `?sslmode=${encodeURIComponent(url.options.sslmode)}`
        : '';
      const database = databaseName(url);
      return {
        client: 'pg',
        connection: {
          connectionString: `postgres://${auth}${host}:${server.port}/${database ? encodeURIComponent(database) : ''}${query}`,
          connectionTimeoutMillis: timeoutMs,
        },
        pool,
        acquireConnectionTimeout: timeoutMs,
        log: quiet,
      };
    }
    case 'mysql': {
      const database = databaseName(url);
      return {
        client: 'mysql2',
        connection: {
          host: server.host,
          port: server.port,
          ...(secrets.username ? { user: secrets.username } : {}),
          ...(secrets.password ? { password: secrets.password } : {}),
          ...(database ? { database } : {}),
          connectTimeout: timeoutMs,
        },
        pool,
        acquireConnectionTimeout: timeoutMs,
        log: quiet,
      };
    }
  }
}

function rowsOf(dialect: Dialect, result: unknown): Array<Record<string, unknown>> {
  if (dialect === 'postgres') return (result as { rows: Array<Record<string, unknown>> }).rows;
  if (dialect === 'mysql') return (result as [Array<Record<string, unknown>>])[0];
  return Array.isArray(result) ? (result as Array<Record<string, unknown>>) : [];
}

/** `sqlite:`, `postgres://`, `mysql://`: a `SqlStore` on a knex instance of its own. */
export async function openSql(
  url: StoreUrl,
  options: OpenStoreOptions,
  timeoutMs: number,
): Promise<Opened> {
  const dialect = dialectOf(url);
  const driver = DRIVERS[dialect];
  const install = ['@sess/sql', 'knex', driver];
  const sql = await load<typeof Sql>('@sess/sql', url.description, install);
  const { default: knex } = await load<{ default: (config: Knex.Config) => Knex }>(
    'knex',
    url.description,
    install,
  );
  await load(driver, url.description, install);

  const config = await knexConfig(sql, url, dialect, credentialsOf(url), options, timeoutMs);
  const db = knex(config);
  try {
    const { table, schema, maxPayloadBytes } = url.options;
    const store = new sql.SqlStore({
      knex: db,
      ...(table === undefined ? {} : { table }),
      ...(schema === undefined ? {} : { schema }),
      ...(maxPayloadBytes === undefined ? {} : { maxPayloadBytes }),
      ...(options.sweepBatchSize === undefined ? {} : { sweepBatchSize: options.sweepBatchSize }),
      operationTimeoutMs: timeoutMs,
    });
    const tableName = table ?? DEFAULT_TABLE;
    const mode = options.mode ?? 'use';
    if (mode === 'create') {
      await withTimeout(store.ensureSchema(), timeoutMs, 'Creating the sessions table');
    } else if (mode === 'use') {
      const builder = schema ? db.schema.withSchema(schema) : db.schema;
      const exists = await withTimeout(
        Promise.resolve(builder.hasTable(tableName)),
        timeoutMs,
        'Looking up the sessions table',
      );
      if (!exists) {
        throw new InvalidOptionError(
          `The table ${url.namespace} does not exist in ${url.description}; check ?table=, or let \`sess migrate\` or ensureSchema() create it.`,
        );
      }
    }
    const backend: StoreBackend = {
      kind: 'sql',
      dialect,
      table: tableName,
      ...(schema === undefined ? {} : { schema }),
      query: async (statement, bindings = []) =>
        rowsOf(
          dialect,
          await withTimeout(
            Promise.resolve(db.raw(statement, [...bindings] as Knex.RawBinding[])),
            timeoutMs,
            'SQL query',
          ),
        ),
    };
    let closing: Promise<void> | undefined;
    return {
      store,
      backend,
      close: () => {
        closing ??= (async () => {
          await store.close();
          await db.destroy();
        })();
        return closing;
      },
    };
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw error;
  }
}
