import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A plain-JavaScript build of test/support/worker.ts, for child processes. */
    workerScript: string;
  }
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Child processes run plain Node, which cannot load TypeScript: bundle the
 * worker script (with the store's sources) once per run.
 */
export default async function setup(project: TestProject) {
  const outDir = await mkdtemp(join(tmpdir(), 'sess-file-worker-'));
  await build({
    config: false,
    entry: { worker: join(here, 'worker.ts') },
    format: ['esm'],
    outDir,
    platform: 'node',
    target: 'node20',
    noExternal: [/.*/],
    dts: false,
    sourcemap: false,
    silent: true,
  });
  const [script] = (await readdir(outDir)).filter((f) => /^worker\.m?js$/.test(f));
  if (!script) throw new Error('Bundling the worker script produced no file.');
  // Readable by the unprivileged user some tests run it as.
  await chmod(outDir, 0o755);
  await chmod(join(outDir, script), 0o644);
  project.provide('workerScript', join(outDir, script));
  return () => rm(outDir, { recursive: true, force: true });
}
