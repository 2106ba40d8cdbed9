import type { Knex } from 'knex';
import type { Dialect } from '../../src/index.js';

/**
 * Writes `count` rows that expired at `expiredAt`, ids `${prefix}0…`, in
 * one statement: the database generates them, so 100k rows take a moment.
 */
export async function fillExpired(
  knex: Knex,
  dialect: Dialect,
  table: string,
  count: number,
  options: { prefix?: string; expiredAt?: number } = {},
): Promise<void> {
  const { prefix = 'expired_', expiredAt = Date.now() - 60_000 } = options;
  switch (dialect) {
    case 'sqlite':
      await knex.raw(
        `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
         INSERT INTO "${table}" (id, data, expires_at, version, user_id, created_at)
         SELECT ? || i, 'expired data', ?, 'v' || i, NULL, ? FROM n`,
        [count, prefix, expiredAt, expiredAt - 1],
      );
      return;
    case 'postgres':
      await knex.raw(
        `INSERT INTO "${table}" (id, data, expires_at, version, user_id, created_at)
         SELECT ? || i, convert_to('expired data', 'UTF8'), ?, 'v' || i, NULL, ? FROM generate_series(0, ? - 1) AS i`,
        [prefix, expiredAt, expiredAt - 1, count],
      );
      return;
    case 'mysql':
      // MariaDB's Sequence engine: seq_0_to_N is a table of the integers 0..N.
      await knex.raw(
        `INSERT INTO \`${table}\` (id, data, expires_at, version, user_id, created_at)
         SELECT CONCAT(?, seq), 'expired data', ?, CONCAT('v', seq), NULL, ? FROM seq_0_to_${count - 1}`,
        [prefix, expiredAt, expiredAt - 1],
      );
      return;
  }
}

/** Rows in the table, live or not. */
export async function rowCount(knex: Knex, table: string): Promise<number> {
  const [row] = await knex(table).count({ n: '*' });
  return Number(row?.n);
}
