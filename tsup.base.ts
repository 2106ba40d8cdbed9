import { defineConfig, type Options } from 'tsup';

/**
 * The one build every published package shares: ESM and CJS with their own
 * declaration files, for Node 20, dependencies left external.
 */
export function packageBuild(entry: Record<string, string>, overrides: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    target: 'node20',
    platform: 'node',
    // No maps: they would point at src/, which the tarball does not ship (see CONTRIBUTING).
    sourcemap: false,
    clean: true,
    splitting: false,
    treeshake: true,
    ...overrides,
  });
}
