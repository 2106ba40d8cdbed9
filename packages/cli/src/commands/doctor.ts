import { constants } from 'node:fs';
import { access, stat, statfs } from 'node:fs/promises';
import { parseStoreUrl, type StoreBackend, type StoreUrl } from '@sess/url';
import { type CliIo, Failure, formatCount } from '../io.js';
import { withStore } from '../open.js';

/** One thing `doctor` looked at. */
export interface Finding {
  readonly status: 'ok' | 'warn' | 'fail';
  readonly check: string;
  readonly message: string;
  /** What to do about it, concretely. */
  readonly fix?: string;
}

const MIB = 1024 * 1024;
const DEFAULT_ITEM_SIZE_MAX = MIB;
const CLOCK_SKEW_LIMIT_S = 3;

type Backend<K extends StoreBackend['kind']> = Extract<StoreBackend, { kind: K }>;

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------- Redis

function configValue(reply: unknown): string | undefined {
  if (Array.isArray(reply)) return reply[1] === undefined ? undefined : String(reply[1]);
  if (reply && typeof reply === 'object') return Object.values(reply)[0] as string | undefined;
  return undefined;
}

function infoField(info: unknown, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(String(info))?.[1]?.trim();
}

async function redisFindings(backend: Backend<'redis'>): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const node of await backend.nodes()) {
    const cli = `redis-cli -h ${node.name.replace(/:(\d+)$/, ' -p $1')}`;
    const server = await node.command(['INFO', 'server']);
    const version = infoField(server, 'redis_version') ?? '?';
    findings.push(
      Number(version.split('.')[0]) >= 7
        ? { status: 'ok', check: `${node.name} version`, message: `Redis ${version}` }
        : {
            status: 'fail',
            check: `${node.name} version`,
            message: `Redis ${version}: the store needs 7.0 or later (PXAT, PEXPIRETIME)`,
            fix: 'upgrade Redis to 7.0 or later',
          },
    );
    let policy: string | undefined;
    let appendonly: string | undefined;
    let save: string | undefined;
    try {
      policy = configValue(await node.command(['CONFIG', 'GET', 'maxmemory-policy']));
      appendonly = configValue(await node.command(['CONFIG', 'GET', 'appendonly']));
      save = configValue(await node.command(['CONFIG', 'GET', 'save']));
    } catch (error) {
      findings.push({
        status: 'warn',
        check: `${node.name} configuration`,
        message: `CONFIG is refused (${reason(error)}), so the eviction policy and persistence cannot be checked`,
        fix: "ask the provider which maxmemory-policy the server runs with; sessions need 'noeviction'",
      });
      continue;
    }
    findings.push(
      policy === 'noeviction'
        ? { status: 'ok', check: `${node.name} maxmemory-policy`, message: 'noeviction' }
        : {
            status: 'fail',
            check: `${node.name} maxmemory-policy`,
            message: `${policy}: when memory runs out Redis deletes sessions silently, logging users out`,
            fix: `${cli} CONFIG SET maxmemory-policy noeviction (and maxmemory-policy noeviction in redis.conf), or give sessions a Redis of their own`,
          },
    );
    const persistence = await node.command(['INFO', 'persistence']);
    const aof = appendonly === 'yes';
    const rdb = save !== undefined && save.trim() !== '';
    if (!aof && !rdb) {
      findings.push({
        status: 'warn',
        check: `${node.name} persistence`,
        message: 'neither AOF nor RDB snapshots: a restart logs every user out',
        fix: `${cli} CONFIG SET appendonly yes, then ${cli} CONFIG REWRITE`,
      });
    } else if (
      infoField(persistence, 'rdb_last_bgsave_status') === 'err' ||
      infoField(persistence, 'aof_last_write_status') === 'err'
    ) {
      findings.push({
        status: 'fail',
        check: `${node.name} persistence`,
        message: 'the last snapshot or AOF write failed: sessions are not being saved',
        fix: 'check the Redis log and the disk it writes to (space, permissions)',
      });
    } else {
      findings.push({
        status: 'ok',
        check: `${node.name} persistence`,
        message: [aof ? 'AOF' : '', rdb ? `RDB (save ${save})` : ''].filter(Boolean).join(' and '),
      });
    }
  }
  return findings;
}

// ------------------------------------------------------------ Memcached

async function memcachedFindings(backend: Backend<'memcached'>, url: StoreUrl): Promise<Finding[]> {
  const findings: Finding[] = [];
  const assumed = url.options.itemSizeMax ?? DEFAULT_ITEM_SIZE_MAX;
  for (const server of backend.servers) {
    const settings = await backend.stats(server, 'settings');
    const itemSizeMax = Number(settings.get('item_size_max'));
    findings.push(
      itemSizeMax >= assumed
        ? {
            status: 'ok',
            check: `${server} item size`,
            message: `-I ${formatCount(itemSizeMax)} bytes, at least the ${formatCount(assumed)} the store assumes`,
          }
        : {
            status: 'fail',
            check: `${server} item size`,
            message: `-I is ${formatCount(itemSizeMax)} bytes but the store assumes ${formatCount(assumed)}: sessions between the two are refused`,
            fix: `start memcached with -I ${Math.ceil(assumed / 1024)}k, or add itemSizeMax=${itemSizeMax} to the URL so the store's maxPayloadBytes matches`,
          },
    );
    const before = Date.now();
    const stats = await backend.stats(server);
    const after = Date.now();
    const serverTime = Number(stats.get('time'));
    // memcached's clock ticks in whole seconds: compare with the middle of the round trip.
    const skew = serverTime - (before + after) / 2000;
    findings.push(
      Math.abs(skew) <= CLOCK_SKEW_LIMIT_S
        ? {
            status: 'ok',
            check: `${server} clock`,
            message: `${skew.toFixed(1)} s from this machine's clock (memcached counts whole seconds)`,
          }
        : {
            status: 'fail',
            check: `${server} clock`,
            message: `${skew.toFixed(1)} s from this machine's clock: sessions expire that much early or late`,
            fix: 'synchronise the clocks of the application and memcached hosts with NTP (chrony, systemd-timesyncd)',
          },
    );
    const version = stats.get('version') ?? '?';
    const [major = 0, minor = 0] = version.split('.').map(Number);
    if (major < 1 || (major === 1 && minor < 6)) {
      findings.push({
        status: 'fail',
        check: `${server} version`,
        message: `memcached ${version}: the store speaks the meta protocol of 1.6 and later`,
        fix: 'upgrade memcached to 1.6 or later',
      });
    }
    const evictions = Number(stats.get('evictions') ?? 0);
    if (evictions > 0) {
      findings.push({
        status: 'warn',
        check: `${server} evictions`,
        message: `${formatCount(evictions)} items evicted since start: sessions may have been among them`,
        fix: 'give memcached more memory (-m) or sessions a memcached of their own',
      });
    }
  }
  return findings;
}

// ------------------------------------------------------------------ SQL

const COLUMNS = ['id', 'data', 'expires_at', 'version', 'user_id', 'created_at'];

function lower(rows: Array<Record<string, unknown>>): Array<Record<string, string>> {
  return rows.map((row) =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k.toLowerCase(), String(v)])),
  );
}

async function sqlFindings(backend: Backend<'sql'>, url: StoreUrl): Promise<Finding[]> {
  const findings: Finding[] = [];
  const { dialect, table } = backend;
  const schema = backend.schema ?? null;
  const name = url.namespace;
  const columns = lower(
    dialect === 'sqlite'
      ? await backend.query('SELECT name FROM pragma_table_info(?)', [table])
      : dialect === 'postgres'
        ? await backend.query(
            'SELECT column_name AS name FROM information_schema.columns WHERE table_name = ? AND table_schema = coalesce(?, current_schema())',
            [table, schema],
          )
        : await backend.query(
            'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?',
            [table],
          ),
  ).map((row) => row.name);
  const create =
    'create it with ensureSchema() or sessionsMigration() from @sess/sql, or let `sess migrate` create it';
  if (columns.length === 0) {
    return [
      {
        status: 'fail',
        check: `table ${name}`,
        message: 'missing',
        fix: `${create} (or fix ?table= in the URL)`,
      },
    ];
  }
  const missing = COLUMNS.filter((column) => !columns.includes(column));
  findings.push(
    missing.length === 0
      ? { status: 'ok', check: `table ${name}`, message: 'present, with every column' }
      : {
          status: 'fail',
          check: `table ${name}`,
          message: `not a sess sessions table: no column ${missing.join(', ')}`,
          fix: `use another table (?table=) and ${create}`,
        },
  );
  const indexRows = lower(
    dialect === 'sqlite'
      ? await backend.query(
          'SELECT il.name AS name, ii.name AS col, ii.seqno AS seq FROM pragma_index_list(?) il JOIN pragma_index_info(il.name) ii',
          [table],
        )
      : dialect === 'postgres'
        ? await backend.query(
            'SELECT i.relname AS name, a.attname AS col, k.n - 1 AS seq FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace ns ON ns.oid = t.relnamespace CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n) JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum WHERE t.relname = ? AND ns.nspname = coalesce(?, current_schema())',
            [table, schema],
          )
        : await backend.query(
            'SELECT index_name AS name, column_name AS col, seq_in_index - 1 AS seq FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ?',
            [table],
          ),
  );
  const leading = new Set(indexRows.filter((row) => row.seq === '0').map((row) => row.col));
  const qualified = backend.schema ? `${backend.schema}.${table}` : table;
  for (const [column, why] of [
    ['id', 'every read and write looks sessions up by id'],
    ['expires_at', 'sweeps and counts scan the whole table without it'],
    ['user_id', 'logging a user out scans the whole table without it'],
  ] as const) {
    findings.push(
      leading.has(column)
        ? { status: 'ok', check: `index on ${column}`, message: 'present' }
        : {
            status: 'fail',
            check: `index on ${column}`,
            message: `missing: ${why}`,
            fix:
              column === 'id'
                ? `the table has no primary key on id: ${create} and migrate the sessions into it`
                : `CREATE INDEX ${table}_${column}_idx ON ${qualified} (${column})`,
          },
    );
  }
  if (dialect === 'sqlite') {
    const [row] = lower(await backend.query('PRAGMA journal_mode'));
    const mode = row?.journal_mode ?? '?';
    findings.push(
      mode === 'wal'
        ? { status: 'ok', check: 'SQLite journal mode', message: 'wal' }
        : {
            status: 'warn',
            check: 'SQLite journal mode',
            message: `${mode}: readers wait for every write, and writes for every reader`,
            fix: 'open the database with sqliteConfig() from @sess/sql (sets WAL), or run PRAGMA journal_mode = WAL once',
          },
    );
  }
  const [expired] = lower(
    await backend.query(
      `SELECT COUNT(*) AS n FROM ${backend.schema ? `${quote(dialect, backend.schema)}.` : ''}${quote(dialect, table)} WHERE expires_at <= ?`,
      [Date.now()],
    ),
  );
  const backlog = Number(expired?.n ?? 0);
  findings.push(
    backlog < 10_000
      ? {
          status: 'ok',
          check: 'expired rows',
          message: `${formatCount(backlog)} waiting for a sweep`,
        }
      : {
          status: 'warn',
          check: 'expired rows',
          message: `${formatCount(backlog)} waiting for a sweep: is a sweeper running?`,
          fix: `run \`sess sweep ${url.description}\` from cron, or store.startSweeper() in the application`,
        },
  );
  return findings;
}

function quote(dialect: string, name: string): string {
  return dialect === 'mysql' ? `\`${name}\`` : `"${name}"`;
}

// ---------------------------------------------------------------- files

async function fileFindings(url: StoreUrl): Promise<Finding[]> {
  const directory = url.path;
  const found = await stat(directory).catch(() => undefined);
  if (!found?.isDirectory()) {
    return [
      {
        status: 'fail',
        check: 'directory',
        message: found
          ? `${url.description} is not a directory`
          : `${url.description} does not exist`,
        fix: `mkdir -m 700 -p ${directory} (the store also creates it on first start)`,
      },
    ];
  }
  const findings: Finding[] = [];
  try {
    await access(directory, constants.R_OK | constants.W_OK | constants.X_OK);
    findings.push({ status: 'ok', check: 'permissions', message: 'readable and writable' });
  } catch {
    findings.push({
      status: 'fail',
      check: 'permissions',
      message: 'this user cannot read and write the directory',
      fix: `chown the directory to the user the application runs as, and chmod 700 ${directory}`,
    });
  }
  if ((found.mode & 0o077) !== 0) {
    findings.push({
      status: 'warn',
      check: 'mode',
      message: `${(found.mode & 0o777).toString(8)}: other users of the machine can see session files`,
      fix: `chmod 700 ${directory}`,
    });
  }
  const fs = await statfs(directory);
  const free = fs.bavail * fs.bsize;
  const share = fs.blocks > 0 ? fs.bavail / fs.blocks : 1;
  findings.push(
    free < 100 * MIB || share < 0.02
      ? {
          status: 'fail',
          check: 'free space',
          message: `${formatCount(Math.floor(free / MIB))} MiB free (${(share * 100).toFixed(1)}%): writes will soon fail`,
          fix: 'free space on that file system, or move the directory to a larger one',
        }
      : {
          status: 'ok',
          check: 'free space',
          message: `${formatCount(Math.floor(free / MIB))} MiB free`,
        },
  );
  // Every session is a file: a file system can run out of inodes with space left.
  if (fs.files > 0) {
    findings.push(
      fs.ffree < 100_000
        ? {
            status: 'warn',
            check: 'free inodes',
            message: `${formatCount(fs.ffree)} left: each session takes one file`,
            fix: 'sweep expired sessions (`sess sweep`), or move the directory to a file system with more inodes',
          }
        : { status: 'ok', check: 'free inodes', message: formatCount(fs.ffree) },
    );
  }
  return findings;
}

/** `sess doctor <url>`: checks the backend against what sessions need, with fixes. */
export async function doctor(io: CliIo, spec: string, json: boolean): Promise<void> {
  const url = parseStoreUrl(spec);
  let findings: Finding[];
  if (url.scheme === 'file') findings = await fileFindings(url);
  else if (url.scheme === 'memory') {
    findings = [
      {
        status: 'warn',
        check: 'memory',
        message: 'memory: keeps sessions in one process and loses them on restart',
        fix: 'use it for tests and development only',
      },
    ];
  } else {
    findings = await withStore(io, spec, { mode: 'inspect' }, async ({ backend }) => {
      if (backend.kind === 'redis') return redisFindings(backend);
      if (backend.kind === 'memcached') return memcachedFindings(backend, url);
      if (backend.kind === 'sql') return sqlFindings(backend, url);
      return [];
    });
  }
  const failed = findings.filter((f) => f.status === 'fail').length;
  if (json) io.out(JSON.stringify({ store: url.description, ok: failed === 0, findings }));
  else {
    io.out(`doctor ${url.description}`);
    for (const finding of findings) {
      io.out(`${finding.status.toUpperCase().padEnd(5)} ${finding.check}: ${finding.message}`);
      if (finding.fix) io.out(`      fix: ${finding.fix}`);
    }
  }
  if (failed > 0) throw new Failure(`${failed} check${failed === 1 ? '' : 's'} failed`);
}
