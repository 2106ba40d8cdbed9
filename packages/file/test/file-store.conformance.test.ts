import { readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runStoreConformance } from '@sess/core/conformance';
import { describe, it } from 'vitest';
import { FileStore } from '../src/index.js';
import { Layout } from '../src/layout.js';
import { scratchRoot } from './support/directories.js';

const root = scratchRoot('conformance');

// The fault tier (`faults`) stops and restarts a server; a local directory has
// no server to stop, so this suite runs every other tier.
describe('FileStore passes the conformance suite', () => {
  runStoreConformance({
    test: it.concurrent,
    createStore: ({ namespace, now }) => {
      const directory = join(root, namespace);
      return {
        store: new FileStore({ directory, maxPayloadBytes: 64 * 1024, ...(now ? { now } : {}) }),
        dispose: () => rm(directory, { recursive: true, force: true }),
      };
    },
    // A record cut short with its times kept, as a crash of the machine
    // without fsync can leave one.
    corrupt: async ({ namespace, id }) => {
      const file = new Layout(join(root, namespace)).record(id).file;
      const [bytes, times] = await Promise.all([readFile(file), stat(file)]);
      await writeFile(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
      await utimes(file, times.atime, times.mtime);
    },
  });
});

describe('FileStore with fsync passes the write groups of the conformance suite', () => {
  runStoreConformance({
    test: it.concurrent,
    groups: ['roundTrip', 'create', 'update', 'touch', 'destroy', 'users'],
    createStore: ({ namespace, now }) => {
      const directory = join(root, `fsync_${namespace}`);
      return {
        store: new FileStore({ directory, fsync: true, ...(now ? { now } : {}) }),
        dispose: () => rm(directory, { recursive: true, force: true }),
      };
    },
  });
});
