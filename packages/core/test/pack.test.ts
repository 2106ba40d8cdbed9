import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from 'vitest';

const run = promisify(execFile);
const packageDir = join(import.meta.dirname, '..');

// The suite as a third party meets it: from the packed tarball, installed into
// an empty project, loaded once through `import` and once through `require`.
const consumer = (load: string) => `${load}
describe('MemoryStore from the installed tarball', () => {
  runStoreConformance({
    test,
    createStore: ({ now }) => ({ store: new MemoryStore(now ? { now } : {}) }),
    groups: ['roundTrip', 'ids', 'create', 'update', 'touch', 'destroy', 'storm'],
  });
});
`;

describe('the packed @sess/core works when installed', () => {
  let project: string;

  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'sess-pack-'));
    // pnpm runs this test through `pnpm test`; otherwise fetch the pinned version.
    const execPath = process.env.npm_execpath;
    const [command, ...prefix] = execPath?.includes('pnpm')
      ? [process.execPath, execPath]
      : ['npx', '--yes', 'pnpm@10.34.9'];
    await run(command, [...prefix, 'pack', '--pack-destination', project], { cwd: packageDir });
    const tarball = (await readdir(project)).find((f) => f.endsWith('.tgz'));
    assert.ok(tarball, 'pnpm pack produced no tarball');
    await writeFile(join(project, 'package.json'), '{ "name": "consumer", "private": true }\n');
    await run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', `./${tarball}`], {
      cwd: project,
    });
    await writeFile(
      join(project, 'esm.test.mjs'),
      consumer(`import { describe, test } from 'node:test';
import { MemoryStore } from '@sess/core';
import { runStoreConformance } from '@sess/core/conformance';`),
    );
    await writeFile(
      join(project, 'cjs.test.cjs'),
      consumer(`const { describe, test } = require('node:test');
const { MemoryStore } = require('@sess/core');
const { runStoreConformance } = require('@sess/core/conformance');`),
    );
  }, 120_000);

  afterAll(async () => {
    if (project) await rm(project, { recursive: true, force: true });
  });

  for (const file of ['esm.test.mjs', 'cjs.test.cjs']) {
    it(`runs the suite from the tarball (${file})`, async () => {
      const { stdout } = await run(process.execPath, ['--test', file], { cwd: project });
      assert.match(stdout, /# fail 0/);
      const passed = Number(/# pass (\d+)/.exec(stdout)?.[1]);
      assert.ok(passed > 30, `only ${passed} tests passed`);
    });
  }
});
