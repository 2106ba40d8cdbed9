/**
 * pnpm --filter @sess/bench render [DIR]: rewrites the markdown and the
 * charts from the JSON of a run, without measuring again.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Results, writeResults } from './report.js';

const directory = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
const results = JSON.parse(await readFile(join(directory, 'latest.json'), 'utf8')) as Results;
await writeResults(directory, results);
console.log(`rendered ${results.results.length} backends in ${directory}`);
