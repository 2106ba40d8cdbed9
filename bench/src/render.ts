/**
 * pnpm --filter @sess/bench render [DIR]: rewrites the markdown and the
 * charts from the JSON of the last runs (`latest.json`, and `http.json` when
 * the HTTP bench has run), without measuring again.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type HttpResults, writeHttpResults } from './http/report.js';
import { type Results, writeResults } from './report.js';

const directory = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
const results = JSON.parse(await readFile(join(directory, 'latest.json'), 'utf8')) as Results;
await writeResults(directory, results);
console.log(`rendered ${results.results.length} backends in ${directory}`);
if (existsSync(join(directory, 'http.json'))) {
  const http = JSON.parse(await readFile(join(directory, 'http.json'), 'utf8')) as HttpResults;
  await writeHttpResults(directory, http);
  console.log(`rendered ${http.rows.length} HTTP cells in ${directory}`);
}
