import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  futimesSync,
  mkdirSync,
  openSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { InvalidOptionError } from '@sess/core';
import {
  checkAncestors,
  checkOwnDirectories,
  refusePseudoFileSystem,
  trustRules,
} from './directory-trust.js';
import { errorCode } from './fs-calls.js';
import { Layout } from './layout.js';
import type { ResolvedOptions } from './options.js';
import { expiryOf } from './record-file.js';

const MONTH_MS = 31 * 86_400_000;

/**
 * Makes sure the store can work in its directory before it takes any
 * request: creates it, then creates, writes, times and removes a probe file
 * in its records directory, as writes will. A directory that cannot be
 * written, or a file system that cannot keep a modification time to the
 * millisecond, fails here with `InvalidOptionError` instead of failing every
 * write later.
 *
 * Synchronous because it runs once, in the constructor.
 */
export function prepareDirectory(options: ResolvedOptions): void {
  const { directory, directoryMode, fileMode, allowSharedDirectory } = options;
  const layout = new Layout(directory);
  const probe = `${layout.recordsDir}/.probe-${process.pid}-${randomBytes(6).toString('hex')}`;
  const rules = trustRules(directoryMode);
  try {
    refusePseudoFileSystem(directory);
    if (!allowSharedDirectory) checkAncestors(directory, rules);
    const existing = statSync(directory, { throwIfNoEntry: false });
    if (existing && !existing.isDirectory()) {
      throw new InvalidOptionError(`FileStore directory "${directory}" is not a directory.`);
    }
    if (!existing) mkdirSync(directory, { recursive: true, mode: directoryMode });
    // Checked once it exists, whoever made it: a directory someone else
    // created first (the classic /tmp trick) is refused here.
    if (!allowSharedDirectory) checkOwnDirectories(directory, rules);
    mkdirSync(layout.recordsDir, { recursive: true, mode: directoryMode });
    const fd = openSync(probe, 'wx', fileMode);
    let keptTime: number;
    // An odd millisecond a month ahead: the kind of expiry the store keeps in mtime.
    const expected = Date.now() + MONTH_MS + 7;
    try {
      writeSync(fd, 'probe');
      futimesSync(fd, (expected + 1) / 1000, expected / 1000);
      keptTime = expiryOf(fstatSync(fd));
    } finally {
      closeSync(fd);
    }
    unlinkSync(probe);
    if (keptTime !== expected) {
      throw new InvalidOptionError(
        `FileStore keeps each session's expiry in its file's modification time, but the file system of "${directory}" does not keep it to the millisecond. Use a directory on ext4, XFS, Btrfs, APFS, tmpfs or another file system with fine timestamps.`,
      );
    }
  } catch (error) {
    if (error instanceof InvalidOptionError) throw error;
    const code = errorCode(error) ?? 'an error';
    throw new InvalidOptionError(
      `FileStore cannot use "${directory}": creating and removing a file there failed with ${code}. Give this process write access to it, or choose another directory.`,
      { cause: error },
    );
  }
}
