import { resolve } from 'node:path';
import { type Clock, InvalidOptionError } from '@sess/core';
import {
  type CommonStoreOptions,
  type OptionKeys,
  rejectUnknownOptions,
  resolveCommonOptions,
} from '@sess/core/store-kit';

export interface FileStoreOptions extends CommonStoreOptions {
  /**
   * The directory the store owns (created if missing, with `directoryMode`).
   * Give each store its own: everything the store writes stays inside it, and
   * `clear()` empties it. Relative paths resolve against the working directory.
   */
  readonly directory: string;
  /** Bound on each operation (and each step of a walk over many records), in ms. Default 2000. */
  readonly operationTimeoutMs?: number;
  /**
   * Flush each write to the disk (`fsync` of the file, then of its directory)
   * before reporting it done, so a power loss cannot undo it. Several times
   * slower per write; without it a crash of the machine (not of the process)
   * may lose the last few seconds of writes, never leaving a torn record.
   * Default false.
   */
  readonly fsync?: boolean;
  /** Mode of the files the store creates. Default 0o600 (owner only). */
  readonly fileMode?: number;
  /** Mode of the directories the store creates. Default 0o700 (owner only). */
  readonly directoryMode?: number;
  /**
   * A record lock older than this is taken over even if its owner seems
   * alive, in ms. A lock whose owner process has died on this host is taken
   * over at once. Default 10,000.
   */
  readonly lockStaleMs?: number;
  /**
   * Accept a directory (or an ancestor of it) that another user owns or can
   * write to, and records owned by other users. Off by default: whoever can
   * write there can plant a session for a token of their choice. Turn it on
   * only for a directory shared on purpose (several users' processes, one
   * group), whose access you control by other means. Default false.
   */
  readonly allowSharedDirectory?: boolean;
}

export interface ResolvedOptions {
  readonly directory: string;
  readonly now: Clock;
  readonly maxPayloadBytes: number;
  readonly operationTimeoutMs: number;
  readonly fsync: boolean;
  readonly fileMode: number;
  readonly directoryMode: number;
  readonly lockStaleMs: number;
  readonly allowSharedDirectory: boolean;
}

const DEFAULTS = {
  fileMode: 0o600,
  directoryMode: 0o700,
  lockStaleMs: 10_000,
} as const;

function positiveInteger(value: unknown, name: string, min = 1): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidOptionError(`${name} must be an integer of at least ${min}.`);
  }
  return value;
}

function mode(value: unknown, name: string, owner: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0o777) {
    throw new InvalidOptionError(`${name} must be a permission mode between 0o000 and 0o777.`);
  }
  // The store reads and writes its own files; a mode that locks the owner out cannot work.
  if ((value & owner) !== owner) {
    throw new InvalidOptionError(`${name} must give the owner at least 0o${owner.toString(8)}.`);
  }
  return value;
}

const FILE_STORE_OPTIONS: OptionKeys<FileStoreOptions> = {
  directory: true,
  operationTimeoutMs: true,
  maxPayloadBytes: true,
  now: true,
  fsync: true,
  fileMode: true,
  directoryMode: true,
  lockStaleMs: true,
  allowSharedDirectory: true,
};

export function resolveOptions(options: FileStoreOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('FileStore takes an options object with at least { directory }.');
  }
  rejectUnknownOptions(options, FILE_STORE_OPTIONS, 'FileStore');
  const { directory, fsync = false, allowSharedDirectory = false } = options;
  if (typeof directory !== 'string' || directory.length === 0 || directory.includes('\0')) {
    throw new InvalidOptionError('FileStore needs `directory`, the path of a directory it owns.');
  }
  if (typeof fsync !== 'boolean') throw new InvalidOptionError('fsync must be true or false.');
  if (typeof allowSharedDirectory !== 'boolean') {
    throw new InvalidOptionError('allowSharedDirectory must be true or false.');
  }
  return {
    ...resolveCommonOptions(options),
    directory: resolve(directory),
    fsync,
    allowSharedDirectory,
    lockStaleMs: positiveInteger(options.lockStaleMs ?? DEFAULTS.lockStaleMs, 'lockStaleMs', 100),
    fileMode: mode(options.fileMode ?? DEFAULTS.fileMode, 'fileMode', 0o600),
    directoryMode: mode(options.directoryMode ?? DEFAULTS.directoryMode, 'directoryMode', 0o700),
  };
}
