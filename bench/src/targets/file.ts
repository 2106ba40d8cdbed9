import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  statfs,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
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

/** Live records kept beside the expired ones in every sweep case: one for every five expired. */
const liveShare = (expired: number) => Math.floor(expired / 5);

/** Runs `work` on every item, `inFlight` at a time. */
async function inParallel<T>(items: T[], inFlight: number, work: (item: T) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += inFlight) {
    await Promise.all(items.slice(i, i + inFlight).map(work));
  }
}

/** clearExpired() over records made expired by moving the store's clock. */
function sweepCase(directory: string): SweepCase {
  let now = Date.now();
  let store = new FileStore({ directory, now: () => now });
  const create = (id: string, expiresAt: number) => store.create(id, { data: 'x', expiresAt });
  return {
    name: 'clearExpired',
    maxSize: MAX_SWEEP_FILES,
    async fill(count) {
      await store.clear();
      await create('reader', now + 365 * 86_400_000);
      const ids = Array.from({ length: count + liveShare(count) }, (_, i) => i);
      await inParallel(ids, 64, (i) =>
        i < count ? create(`expired_${i}`, now + 1000) : create(`live_${i}`, now + 86_400_000),
      );
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

/**
 * session-file-store's own reap (what its `reapInterval` timer runs): it
 * lists the directory, then reads and parses every session file, ten at a
 * time, and removes the expired ones. Filled with files in its own format.
 */
function sessionFileStoreSweepCase(directory: string): SweepCase {
  const helpers = require('session-file-store/lib/session-file-helpers') as {
    defaults(options: object): { path: string };
    reap(options: object, done: (errors?: unknown) => void): void;
  };
  const options = helpers.defaults({ path: directory, reapInterval: -1, logFn: () => {} });
  const session = (lastAccess: number) =>
    JSON.stringify({
      cookie: { originalMaxAge: 3_600_000, expires: new Date(lastAccess + 3_600_000) },
      data: 'x',
      __lastAccess: lastAccess,
    });
  const peer = sessionFileStoreTarget(directory);
  const files = async () => (await readdir(directory)).length;
  return {
    name: 'session-file-store reap',
    maxSize: MAX_SWEEP_FILES,
    async fill(count) {
      await rm(directory, { recursive: true, force: true });
      await mkdir(directory, { recursive: true, mode: 0o700 });
      const now = Date.now();
      await writeFile(join(directory, 'reader.json'), session(now));
      const ids = Array.from({ length: count + liveShare(count) }, (_, i) => i);
      await inParallel(ids, 64, (i) =>
        i < count
          ? writeFile(join(directory, `expired_${i}.json`), session(now - 2 * 3_600_000))
          : writeFile(join(directory, `live_${i}.json`), session(now)),
      );
    },
    async sweep() {
      const before = await files();
      await new Promise<void>((resolve, reject) =>
        helpers.reap(options, (errors) => (errors ? reject(errors) : resolve())),
      );
      return before - (await files());
    },
    read: () => peer.get('reader'),
    close: () => rm(directory, { recursive: true, force: true }),
  };
}

/**
 * The floor: a directory of files whose mtime is their expiry, listed, each
 * file `lstat`ed and the expired ones unlinked, 64 at a time; no lock, no
 * check of what is being removed.
 */
function rawSweepCase(directory: string): SweepCase {
  const file = (name: string) => join(directory, name);
  return {
    name: 'raw readdir + lstat + unlink',
    maxSize: MAX_SWEEP_FILES,
    async fill(count) {
      await rm(directory, { recursive: true, force: true });
      await mkdir(directory, { recursive: true, mode: 0o700 });
      const now = Date.now();
      const write = async (name: string, expiresAt: number) => {
        await writeFile(file(name), JSON.stringify({ data: 'x' }), { mode: 0o600 });
        await utimes(file(name), expiresAt / 1000, expiresAt / 1000);
      };
      await write('reader', now + 86_400_000);
      const ids = Array.from({ length: count + liveShare(count) }, (_, i) => i);
      await inParallel(ids, 64, (i) =>
        i < count ? write(`expired_${i}`, now - 1000) : write(`live_${i}`, now + 86_400_000),
      );
    },
    async sweep() {
      const now = Date.now();
      let removed = 0;
      await inParallel(await readdir(directory), 64, async (name) => {
        if ((await lstat(file(name))).mtimeMs > now) return;
        await unlink(file(name));
        removed++;
      });
      return removed;
    },
    read: () => readFile(file('reader'), 'utf8'),
    close: () => rm(directory, { recursive: true, force: true }),
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
      sweeps: [
        sweepCase(dir('sweep')),
        sessionFileStoreSweepCase(dir('sweep-session-file-store')),
        rawSweepCase(dir('sweep-raw')),
      ],
      teardown: () => rm(root, { recursive: true, force: true }),
    };
  },
};
