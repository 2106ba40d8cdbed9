// Mutation testing (StrykerJS): `pnpm mutation [scope...] [--stryker-option ...]`.
// With no scope, runs every scope in mutation/, one after another. Options
// starting with -- go to Stryker (e.g. --concurrency 1, --mutate <file:lines>).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const scopes = readdirSync(join(root, 'mutation'))
  .filter((file) => file.endsWith('.stryker.mjs'))
  .map((file) => file.slice(0, -'.stryker.mjs'.length));

const args = process.argv.slice(2);
const firstOption = args.findIndex((arg) => arg.startsWith('--'));
const wanted = firstOption === -1 ? args : args.slice(0, firstOption);
const strykerArgs = firstOption === -1 ? [] : args.slice(firstOption);
const unknown = wanted.filter((name) => !scopes.includes(name));
if (unknown.length > 0) {
  console.error(`Unknown scope ${unknown.join(', ')}; the scopes are: ${scopes.join(', ')}.`);
  process.exit(2);
}

for (const name of wanted.length > 0 ? wanted : scopes) {
  console.log(`\n== mutation scope: ${name}\n`);
  const started = Date.now();
  const run = spawnSync(
    join(root, 'node_modules', '.bin', 'stryker'),
    ['run', `mutation/${name}.stryker.mjs`, ...strykerArgs],
    { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' },
  );
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  console.log(`== ${name}: ${minutes} min, report in reports/mutation/${name}/index.html`);
  if (run.status !== 0) process.exit(run.status ?? 1);
}
