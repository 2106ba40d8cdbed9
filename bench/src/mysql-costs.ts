/**
 * pnpm --filter @sess/bench mysql-costs [--sessions N] [--rounds R]
 *
 * Where the time of a touch and a destroy goes on MariaDB: each variant runs
 * the same operations on one private server, and the server's own counters
 * (`SHOW GLOBAL STATUS`) say what each operation cost it: statements,
 * round trips, index entries read and written. Variants:
 *
 * - `sess`: SqlStore (knex's pool, prepared statements, the sess table);
 * - `sess SQL, mysql2`: the same statements through a bare mysql2 pool;
 * - `sess SQL, no user index` / `no indexes`: the same on a copy of the
 *   table without the user index, or with neither secondary index;
 * - `express-mysql-session`: the peer, on its own table (no secondary index).
 *
 * Ops/s are medians of the rounds, variants interleaved and their order
 * rotated each round, so a shared machine's drift hits them alike.
 */
import { parseArgs } from 'node:util';
import { ensureSchema, SqlStore } from '@sess/sql';
import knexFactory from 'knex';
import mysql from 'mysql2';
import { cliArgs } from './cli-args.js';
import { sessionData } from './phases.js';
import { mysqlScratch, mysqlServer } from './servers.js';
import { sessTarget } from './sess-target.js';
import { median } from './stats.js';
import { expressMysqlSession } from './targets/sql.js';

const { values: args } = parseArgs({
  args: cliArgs(),
  options: { sessions: { type: 'string' }, rounds: { type: 'string' } },
});
const sessions = Number(args.sessions ?? 2_000);
const rounds = Number(args.rounds ?? 5);
const HOUR = 3_600_000;
const COUNTERS = [
  'Questions',
  'Com_stmt_execute',
  'Com_stmt_prepare',
  'Com_update',
  'Com_delete',
  'Com_select',
  'Handler_read_key',
  'Handler_update',
  'Handler_delete',
  'Handler_write',
  'Innodb_rows_updated',
  'Innodb_rows_deleted',
] as const;

interface Variant {
  readonly name: string;
  create(id: string, data: string, expiresAt: number): Promise<unknown>;
  touch(id: string, expiresAt: number): Promise<unknown>;
  destroy(id: string): Promise<unknown>;
}

const server = await mysqlServer();
const scratch = await mysqlScratch(server.login);
const connection = scratch.where;
const pool = { min: 2, max: 10 };
const quiet = { warn() {}, error() {}, deprecate() {}, debug() {} };
const knex = knexFactory({ client: 'mysql2', connection, pool, log: quiet });
const store = new SqlStore({ knex, table: 'sess_probe' });
await store.ensureSchema();
for (const table of ['no_user_index', 'no_indexes']) await ensureSchema(knex, { table });
await knex.raw('ALTER TABLE no_user_index DROP INDEX no_user_index_user_id_idx');
await knex.raw(
  'ALTER TABLE no_indexes DROP INDEX no_indexes_user_id_idx, DROP INDEX no_indexes_expires_at_idx',
);

const rawPool = mysql.createPool({ ...connection, connectionLimit: pool.max }).promise();
/** The sess statements (see packages/sql/src/statements.ts) on `table`, through mysql2 alone. */
function sessSql(name: string, table: string): Variant {
  return {
    name,
    create: (id, data, expiresAt) =>
      rawPool.execute(
        `INSERT INTO ${table} (id, data, expires_at, version, user_id, created_at) VALUES (?, ?, ?, ?, NULL, ?)`,
        [id, data, expiresAt, '1', Date.now()],
      ),
    touch: (id, expiresAt) =>
      rawPool.execute(`UPDATE ${table} SET expires_at = ? WHERE id = ? AND expires_at > ?`, [
        expiresAt,
        id,
        Date.now(),
      ]),
    destroy: (id) => rawPool.execute(`DELETE FROM ${table} WHERE id = ?`, [id]),
  };
}

const peer = await expressMysqlSession(connection, pool.max);
const sess = sessTarget(store);

const variants: Variant[] = [
  { name: 'sess', create: sess.create, touch: sess.touch, destroy: sess.destroy },
  sessSql('sess SQL, mysql2', 'sess_probe'),
  sessSql('sess SQL, no user index', 'no_user_index'),
  sessSql('sess SQL, no indexes', 'no_indexes'),
  { name: peer.name, create: peer.create, touch: peer.touch, destroy: peer.destroy },
];

const admin = mysql.createConnection(connection).promise();
async function counters(): Promise<Map<string, number>> {
  const [rows] = await admin.query('SHOW GLOBAL STATUS');
  const all = new Map<string, number>();
  for (const row of rows as Array<{ Variable_name: string; Value: string }>) {
    all.set(row.Variable_name, Number(row.Value));
  }
  return all;
}

let cycle = 0;
async function timed(
  count: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < count; i = next++) await op(i);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return count / ((performance.now() - started) / 1000);
}

/** Creates `count` sessions with fresh ids; returns the ids. */
async function seed(variant: Variant, count: number): Promise<string[]> {
  cycle++;
  const ids = Array.from({ length: count }, (_, i) => `p${cycle}_${i}`);
  await timed(count, 16, (i) =>
    variant.create(ids[i] as string, sessionData(i), Date.now() + HOUR),
  );
  return ids;
}

// Server-side cost per operation, at one in flight (the admin connection's
// own SHOW STATUS is subtracted: one question, no handler work on these).
const costs: Array<Record<string, string | number>> = [];
for (const variant of variants) {
  for (const phase of ['touch', 'destroy'] as const) {
    const ids = await seed(variant, 500);
    const before = await counters();
    await timed(ids.length, 1, (i) =>
      phase === 'touch'
        ? variant.touch(ids[i] as string, Date.now() + 2 * HOUR)
        : variant.destroy(ids[i] as string),
    );
    const after = await counters();
    const row: Record<string, string | number> = { variant: variant.name, phase };
    for (const name of COUNTERS) {
      const delta =
        (after.get(name) ?? 0) - (before.get(name) ?? 0) - (name === 'Questions' ? 1 : 0);
      row[name] = Math.round((delta / ids.length) * 100) / 100;
    }
    costs.push(row);
  }
}
console.table(costs);

const rates = new Map<string, number[]>();
for (let round = 0; round < rounds; round++) {
  for (const concurrency of [1, 64]) {
    const order = variants.map((_, i) => variants[(i + round) % variants.length] as Variant);
    const seeded = new Map<Variant, string[]>();
    for (const variant of order) seeded.set(variant, await seed(variant, sessions));
    for (const phase of ['touch', 'destroy'] as const) {
      for (const variant of order) {
        const ids = seeded.get(variant) as string[];
        const rate = await timed(ids.length, concurrency, (i) =>
          phase === 'touch'
            ? variant.touch(ids[i] as string, Date.now() + 2 * HOUR + round)
            : variant.destroy(ids[i] as string),
        );
        const key = `${phase}\t${concurrency}\t${variant.name}`;
        rates.set(key, [...(rates.get(key) ?? []), rate]);
      }
    }
  }
}
const table = [...rates].map(([key, values]) => {
  const [phase, concurrency, variant] = key.split('\t');
  const best = median(rates.get(`${phase}\t${concurrency}\texpress-mysql-session`) ?? []);
  const ops = median(values);
  return {
    phase,
    'in flight': concurrency,
    variant,
    'ops/s': Math.round(ops),
    'vs express-mysql-session': `${(ops / best).toFixed(2)}×`,
  };
});
console.table(table);

await store.close();
await peer.close();
await rawPool.end();
await admin.end();
await knex.destroy();
await scratch.drop();
await server.dispose();
