import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sessionLifecycleSuite } from '@sess/session-suite';
import { it } from 'vitest';
import { FileStore } from '../src/index.js';
import { scratchRoot } from './support/directories.js';

// The session lifecycle of @sess/core (SessionManager: tokens, commits,
// expiry, rotation, logouts, conflict merges) on a real directory.
const root = scratchRoot('lifecycle');

sessionLifecycleSuite({
  name: 'FileStore',
  test: it.concurrent,
  createStore: ({ namespace, now }) => {
    const directory = join(root, namespace);
    return {
      store: new FileStore({ directory, now }),
      dispose: () => rm(directory, { recursive: true, force: true }),
    };
  },
});
