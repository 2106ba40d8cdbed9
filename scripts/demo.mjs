#!/usr/bin/env node
// `npm run demo`: installs only what the demo needs (its own dependency tree,
// not the workspace's test, bench and release tooling), builds only its
// packages, JavaScript only (no type declarations), then starts it. pnpm and
// turbo print their own progress; each step says what it is and how long it
// took.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pnpm = ['npx', '--yes', 'pnpm@10.34.9'];
const started = Date.now();

const steps = [
  {
    title: 'installing what the demo needs',
    command: [...pnpm, 'install', '--frozen-lockfile', '--filter', '@sess/demo...'],
  },
  {
    title: 'building its packages (JavaScript only)',
    command: [
      ...pnpm,
      'exec',
      'turbo',
      'run',
      'build',
      '--filter=@sess/demo...',
      '--output-logs=hash-only',
    ],
    env: { SESS_BUILD_TYPES: 'false' },
  },
  { title: 'starting the demo', command: [...pnpm, '--filter', '@sess/demo', 'start'] },
];

for (const [index, step] of steps.entries()) {
  const at = Date.now();
  console.log(`\nsess demo [${index + 1}/${steps.length}] ${step.title}`);
  const [command, ...args] = step.command;
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...step.env },
    shell: process.platform === 'win32',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  if (index < steps.length - 1) {
    const seconds = (ms) => `${Math.round(ms / 1000)} s`;
    console.log(`  done in ${seconds(Date.now() - at)} (${seconds(Date.now() - started)} so far)`);
  }
}
