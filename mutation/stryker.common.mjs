import { fileURLToPath } from 'node:url';

// Settings every mutation scope shares. Run a scope from the repository root:
// `pnpm mutation <scope>` (scripts/mutation.mjs).

/**
 * The sandbox copy holds only what the scopes need: core, the session suite
 * and the root configs. Every node_modules is linked, not copied.
 */
const sandboxFiles = [
  '/*',
  '!/package.json',
  '!/tsconfig.base.json',
  '!/vitest.shared.ts',
  '!/mutation',
  '/packages/*',
  '!/packages/core',
  '!/packages/file',
  '/tools/*',
  '!/tools/session-suite',
  '!/tools/test-servers',
  'dist',
  '.turbo',
];

/**
 * @param {string} name the scope, also the directory of its reports
 * @param {Partial<import('@stryker-mutator/api/core').PartialStrykerOptions>} options
 * @returns {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export function scope(name, options) {
  return {
    testRunner: 'vitest',
    // Named, not discovered: pnpm keeps it out of core's own node_modules.
    plugins: [fileURLToPath(import.meta.resolve('@stryker-mutator/vitest-runner'))],
    coverageAnalysis: 'perTest',
    // The machine running this is usually shared; raise with --concurrency.
    concurrency: 2,
    incremental: true,
    incrementalFile: `reports/mutation/${name}/incremental.json`,
    reporters: ['progress', 'clear-text', 'html', 'json'],
    htmlReporter: { fileName: `reports/mutation/${name}/index.html` },
    jsonReporter: { fileName: `reports/mutation/${name}/mutation.json` },
    clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
    tempDirName: '.stryker-tmp',
    cleanTempDir: 'always',
    ignorePatterns: sandboxFiles,
    thresholds: { high: 90, low: 80, break: null },
    ...options,
  };
}
