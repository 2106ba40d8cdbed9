import type { Dialect } from '../../src/index.js';
import { sharedMysql, sharedPostgres, sqliteFile, type TestDatabase } from './databases.js';

/** The database each dialect's store tests run on. */
export const DIALECTS: ReadonlyArray<readonly [Dialect, () => Promise<TestDatabase>]> = [
  ['sqlite', sqliteFile],
  ['postgres', sharedPostgres],
  ['mysql', sharedMysql],
];
