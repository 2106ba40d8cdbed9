import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from 'vitest';
import { conformanceGroups } from '../src/conformance/index.js';

it('the README lists every conformance test by its exact name', async () => {
  const readme = await readFile(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const missing = Object.values(conformanceGroups)
    .flatMap((group) => Object.keys(group))
    .filter((name) => !readme.includes(`- ${name}`));
  assert.deepEqual(missing, []);
});
