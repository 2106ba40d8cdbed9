import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * A scratch directory for one test file, removed when the file's tests end.
 * Stores get subdirectories of it.
 */
export function scratchRoot(label: string): string {
  const root = mkdtempSync(join(tmpdir(), `sess-file-${label}-`));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return root;
}
