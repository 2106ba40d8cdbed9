import { mkdir, mkdtemp, readFile, rename, rm, statfs, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '@sess/file';
import type { BenchBackend, BenchTarget, SweepCase } from '../target.js';
import { versionedUpdate } from './versions.js';

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

interface CallbackStore {
  get(sid: string, callback: (error: unknown, session?: unknown) => void): void;
  set(sid: string, session: unknown, callback: (error: unknown) => void): void;
  touch(sid: string, session: unknown, callback: (error: unknown) => void): void;
  destroy(sid: string, callback: (error: unknown) => void): void;
}

const require = createRequire(import.meta.url);
const FILE_SYSTEMS: Record<number, string> = {
  61267: 'ext4',
  16914836: 'tmpfs',
  1481003842: 'xfs',
  2435016766: 'btrfs',
  2035054128: 'overlayfs',
};
/** More expired files than this would take gigabytes of small files; larger sizes are capped. */
const MAX_SWEEP_FILES = 100_000;

function promised<T>(call: (callback: (error: unknown, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    call((error, value) => (error ? reject(error) : resolve(value as T))),
  );
}

function sessTarget(name: string, store: FileStore): BenchTarget {
  return {
    name,
    role: 'sess',
    ...versionedUpdate(store),
    get: (id) => store.get(id),
    touch: (id, expiresAt) => store.touch(id, expiresAt),
    destroy: (id) => store.destroy(id),
    close: () => store.close(),
  };
}

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
  const FileStoreClass = (
    require('session-file-store') as (s: unknown) => new (o: object) => CallbackStore
  )(session);
  const peer = new FileStoreClass({ path: directory, reapInterval: -1, logFn: () => {} });
  // An express-session session: its cookie carries the expiry.
  const sessionOf = (data: string, expiresAt: number) => ({
    cookie: {
      originalMaxAge: expiresAt - Date.now(),
      expires: new Date(expiresAt),
      httpOnly: true,
      path: '/',
    },
    data,
  });
  return {
    name: 'session-file-store',
    role: 'peer',
    create: (id, data, expiresAt) => promised((cb) => peer.set(id, sessionOf(data, expiresAt), cb)),
    update: (id, data, expiresAt) => promised((cb) => peer.set(id, sessionOf(data, expiresAt), cb)),
    get: (id) => promised((cb) => peer.get(id, cb)),
    touch: (id, expiresAt) => promised((cb) => peer.touch(id, sessionOf('', expiresAt), cb)),
    destroy: (id) => promised((cb) => peer.destroy(id, cb)),
    close: async () => {},
  };
}

/** clearExpired() over records made expired by moving the store's clock. */
function sweepCase(directory: string): SweepCase {
  let now = Date.now();
  let store = new FileStore({ directory, now: () => now });
  return {
    name: 'clearExpired',
    async fill(count) {
      await store.clear();
      await store.create('reader', { data: 'r', expiresAt: now + 365 * 86_400_000 });
      const total = Math.min(count, MAX_SWEEP_FILES);
      for (let i = 0; i < total; i += 64) {
        await Promise.all(
          Array.from({ length: Math.min(64, total - i) }, (_, j) =>
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
      sessTarget('sess', new FileStore({ directory: dir('sess') })),
      ...(withFsync
        ? [sessTarget('sess-fsync', new FileStore({ directory: dir('sess-fsync'), fsync: true }))]
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
