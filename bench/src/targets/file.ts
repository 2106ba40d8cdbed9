import { mkdir, mkdtemp, readFile, rename, rm, statfs, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '@sess/file';
import { type ExpressSessionStore, expressSessionTarget } from '../peer-target.js';
import { sessTarget } from '../sess-target.js';
import type { BenchBackend, BenchTarget, SweepCase } from '../target.js';

/**
 * The file store against plain `node:fs` on the same disk, and against
 * session-file-store (through its express-session callback API).
 *
 * - `sess`: FileStore as configured by default (no fsync).
 * - `sess-fsync`: FileStore with `fsync: true`, what durability costs. It is
 *   the like-for-like comparison with session-file-store, which fsyncs every
 *   write by default (write-file-atomic).
 * - `raw`: what a hand-written file store does with no contract: one JSON
 *   file per session `{ data, expiresAt }`, written to a temp file and
 *   renamed over (`writeFile` + `rename`), read with `readFile`. Its expiry is
 *   inside the JSON, so its touch reads the file and writes it again; the
 *   file store keeps the expiry in the file's mtime and touches with
 *   `futimes`, never rewriting (see the package README for a raw `utimes`).
 *
 * Environment: `SESS_BENCH_FILE_DIR` puts the stores under another directory
 * (default: the system temp directory), e.g. a tmpfs to measure the stores'
 * own overhead without the disk; `SESS_BENCH_FILE_FSYNC=0` leaves out
 * `sess-fsync`, whose flushes slow the disk for the targets measured after it.
 */

const require = createRequire(import.meta.url);
const FILE_SYSTEMS: Record<number, string> = {
  61267: 'ext4',
  16914836: 'tmpfs',
  1481003842: 'xfs',
  2435016766: 'btrfs',
  2035054128: 'overlayfs',
};
/** More expired files than this would take gigabytes of small files; larger sizes are not measured. */
const MAX_SWEEP_FILES = 100_000;

function rawTarget(directory: string): BenchTarget {
  let sequence = 0;
  const file = (id: string) => join(directory, `${id}.json`);
  const write = async (id: string, data: string, expiresAt: number) => {
    const temp = `${file(id)}.${sequence++}.tmp`;
    await writeFile(temp, JSON.stringify({ data, expiresAt }), { mode: 0o600 });
    await rename(temp, file(id));
  };
  const read = async (id: string) =>
    JSON.parse(await readFile(file(id), 'utf8')) as { data: string; expiresAt: number };
  return {
    name: 'raw',
    role: 'raw',
    create: write,
    update: write,
    get: read,
    touch: async (id, expiresAt) => write(id, (await read(id)).data, expiresAt),
    destroy: (id) => rm(file(id), { force: true }),
    close: async () => {},
  };
}

function sessionFileStoreTarget(directory: string): BenchTarget {
  const session = require('express-session') as { Store: unknown };
  const factory = require('session-file-store') as (
    s: unknown,
  ) => new (
    o: object,
  ) => ExpressSessionStore;
  const peer = new (factory(session))({ path: directory, reapInterval: -1, logFn: () => {} });
  return expressSessionTarget('session-file-store', peer);
}

/** clearExpired() over records made expired by moving the store's clock. */
function sweepCase(directory: string): SweepCase {
  let now = Date.now();
  let store = new FileStore({ directory, now: () => now });
  return {
    name: 'clearExpired',
    maxSize: MAX_SWEEP_FILES,
    async fill(count) {
      await store.clear();
      await store.create('reader', { data: 'r', expiresAt: now + 365 * 86_400_000 });
      for (let i = 0; i < count; i += 64) {
        await Promise.all(
          Array.from({ length: Math.min(64, count - i) }, (_, j) =>
            store.create(`expired_${i + j}`, { data: 'x', expiresAt: now + 1000 }),
          ),
        );
      }
      now += 1000;
    },
    sweep: () => store.clearExpired(),
    read: () => store.get('reader'),
    async close() {
      await store.close();
      store = new FileStore({ directory, now: () => now });
      await store.close();
    },
  };
}

export const backend: BenchBackend = {
  name: 'file',
  async setup() {
    const parent = process.env.SESS_BENCH_FILE_DIR || tmpdir();
    const root = await mkdtemp(join(parent, 'sess-bench-file-'));
    const dir = (name: string) => join(root, name);
    await mkdir(dir('raw'), { mode: 0o700 });
    const withFsync = process.env.SESS_BENCH_FILE_FSYNC !== '0';
    const targets = [
      sessTarget(new FileStore({ directory: dir('sess') })),
      ...(withFsync
        ? [sessTarget(new FileStore({ directory: dir('sess-fsync'), fsync: true }), 'sess-fsync')]
        : []),
      rawTarget(dir('raw')),
      sessionFileStoreTarget(dir('session-file-store')),
    ];
    const kind = (await statfs(root)).type;
    return {
      targets,
      info: {
        'file system': FILE_SYSTEMS[kind] ?? `type 0x${kind.toString(16)}`,
        'session-file-store': (require('session-file-store/package.json') as { version: string })
          .version,
        fsync: `sess off, ${withFsync ? 'sess-fsync on, ' : ''}session-file-store on (always), raw off`,
      },
      sweeps: [sweepCase(dir('sweep'))],
      teardown: () => rm(root, { recursive: true, force: true }),
    };
  },
};
