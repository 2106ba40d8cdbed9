import { lstatSync, readdirSync, realpathSync, type Stats, statfsSync } from 'node:fs';
import { dirname, join, parse, sep } from 'node:path';
import { InvalidOptionError } from '@sess/core';

/**
 * Whether the store may trust its directory: anyone who can write to it, or
 * replace it, can plant a record for a token of their choice (a forged
 * session) or a link that turns a write of the store into a write elsewhere.
 * So the directory must be this user's and writable by no one else, and no
 * ancestor may let another user swap it: each is owned by this user or root,
 * and writable by others only with the sticky bit (like `/tmp`). The checks
 * run once, before the store creates anything.
 */

/** File systems with no real files behind them; creating directories there can loop or hang. */
const PSEUDO_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x6165676c, 'pstore'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0x65735543, 'fusectl'],
  [0x19800202, 'mqueue'],
  [0xde5e81e4, 'efivarfs'],
  [0x42494e4d, 'binfmt_misc'],
]);

const STICKY = 0o1000;
const GROUP_WRITE = 0o020;
const OTHER_WRITE = 0o002;

/** The nearest path, starting at `path` itself, that exists. */
function firstExisting(path: string): string {
  let current = path;
  while (!lstatSync(current, { throwIfNoEntry: false })) {
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return current;
}

/** Refuses a directory on a pseudo file system (`/proc`, `/sys`, ...), before anything is created. */
export function refusePseudoFileSystem(directory: string): void {
  let type: number;
  try {
    type = statfsSync(firstExisting(directory)).type;
  } catch {
    return; // no statfs here: the write probe decides
  }
  const name = PSEUDO_FILE_SYSTEMS.get(type);
  if (name !== undefined) {
    throw new InvalidOptionError(
      `FileStore directory "${directory}" is on ${name}, a pseudo file system that cannot hold files. Choose a directory on a disk or tmpfs.`,
    );
  }
}

export interface TrustRules {
  /** The uid the store runs as; undefined where the platform has none (no checks). */
  readonly uid: number | undefined;
  /** The store's own directories may be group-writable (its `directoryMode` allows it). */
  readonly groupWritable: boolean;
}

/** The process's trust rules for its directory. */
export function trustRules(directoryMode: number): TrustRules {
  return {
    uid: process.getuid?.(),
    groupWritable: (directoryMode & GROUP_WRITE) !== 0,
  };
}

function refuse(path: string, why: string): never {
  throw new InvalidOptionError(
    `FileStore will not use "${path}": ${why}. Another user could plant or replace sessions there. Use a directory only this user can write (created by the store, mode 0700), or pass allowSharedDirectory: true if you control who can write it by other means.`,
  );
}

/** Checks every existing ancestor of `directory` (not the directory itself). */
export function checkAncestors(directory: string, rules: TrustRules, depth = 0): void {
  if (rules.uid === undefined) return;
  const { root } = parse(directory);
  let current = root;
  for (const part of directory.slice(root.length).split(sep).filter(Boolean).slice(0, -1)) {
    const next = join(current, part);
    const stats = lstatSync(next, { throwIfNoEntry: false });
    if (!stats) return; // the rest does not exist yet: the store creates it, as this user
    if (stats.isSymbolicLink()) {
      if (stats.uid !== rules.uid && stats.uid !== 0) {
        refuse(next, 'it is a symbolic link owned by another user');
      }
      if (depth > 8) refuse(next, 'it resolves through too many symbolic links');
      const target = realpathSync(next);
      checkAncestors(join(target, 'x'), rules, depth + 1);
      checkAncestor(target, lstatSync(target), rules);
      current = target;
      continue;
    }
    checkAncestor(next, stats, rules);
    current = next;
  }
}

function checkAncestor(path: string, stats: Stats, rules: TrustRules): void {
  if (stats.uid !== rules.uid && stats.uid !== 0) refuse(path, 'it is owned by another user');
  if (stats.mode & (GROUP_WRITE | OTHER_WRITE) && !(stats.mode & STICKY)) {
    refuse(path, 'others can write to it and it has no sticky bit');
  }
}

/**
 * Checks the store's directory and the directories inside it that it uses
 * (records, user index, quarantine, and their shards): real directories, not
 * links, this user's, and writable by no one else.
 */
export function checkOwnDirectories(directory: string, rules: TrustRules): void {
  if (rules.uid === undefined) return;
  const top = lstatSync(directory);
  if (top.isSymbolicLink()) {
    if (top.uid !== rules.uid && top.uid !== 0) {
      refuse(directory, 'it is a symbolic link owned by another user');
    }
    checkAncestors(join(realpathSync(directory), 'x'), rules);
  }
  const real = realpathSync(directory);
  checkOwn(real, rules);
  for (const name of readdirSync(real)) {
    const child = join(real, name);
    const stats = lstatSync(child);
    if (!stats.isDirectory() && !stats.isSymbolicLink()) continue;
    checkOwn(child, rules, stats);
    if (!stats.isDirectory()) continue;
    for (const inner of readdirSync(child)) {
      const grandchild = join(child, inner);
      const innerStats = lstatSync(grandchild);
      if (innerStats.isDirectory() || innerStats.isSymbolicLink()) {
        checkOwn(grandchild, rules, innerStats);
      }
    }
  }
}

function checkOwn(path: string, rules: TrustRules, stats = lstatSync(path)): void {
  if (stats.isSymbolicLink()) refuse(path, 'it is a symbolic link');
  if (stats.uid !== rules.uid) refuse(path, 'it is owned by another user');
  if (stats.mode & OTHER_WRITE) refuse(path, 'every user can write to it');
  if (stats.mode & GROUP_WRITE && !rules.groupWritable) {
    refuse(path, 'its group can write to it (and directoryMode does not allow that)');
  }
}
