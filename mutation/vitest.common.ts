import { fileURLToPath } from 'node:url';

/** The repository root (mutation runs start there). */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const coreSource = (file: string) =>
  fileURLToPath(new URL(`../packages/core/src/${file}`, import.meta.url));

/** `@sess/core` and its subpaths resolved to source: mutants live in source, not in `dist/`. */
export const coreFromSource = [
  { find: /^@sess\/core$/, replacement: coreSource('index.ts') },
  { find: /^@sess\/core\/conformance$/, replacement: coreSource('conformance/index.ts') },
  { find: /^@sess\/core\/store-kit$/, replacement: coreSource('store-kit/index.ts') },
];

/** As in every package's tests (vitest.shared.ts): real servers take real time. */
export const testDefaults = { testTimeout: 60_000, hookTimeout: 120_000 };
