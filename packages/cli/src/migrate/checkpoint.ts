import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/** What happened to each listed session. */
export interface Tally {
  /** Written to the target (it had no live record). */
  copied: number;
  /** The target held an older record (earlier expiry): replaced by compare-and-set. */
  updated: number;
  /** The target already held this very record (an earlier, interrupted run). */
  present: number;
  /** The target held a record as new or newer: left alone. */
  kept: number;
  /** Listed, but expired or destroyed in the source before it was read. */
  gone: number;
  /** Could not be copied: too large for the target, or unreadable in the source. */
  failed: number;
}

export const OUTCOMES = ['copied', 'updated', 'present', 'kept', 'gone', 'failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export function emptyTally(): Tally {
  return { copied: 0, updated: 0, present: 0, kept: 0, gone: 0, failed: 0 };
}

export function listed(tally: Tally): number {
  return OUTCOMES.reduce((sum, outcome) => sum + tally[outcome], 0);
}

/**
 * A migration's progress on disk, rewritten (atomically, by rename) after
 * every page whose sessions are all settled in the target. The listing
 * cursor is the source's own, opaque: every store's cursor names a position
 * in a stable order (SQL and memory: the last id; files: the shard and last
 * name; Redis: the SCAN position and the ids it returned beyond the page),
 * so another process can continue from it. Work done after the last write is
 * redone on resume, and finds its sessions already `present`.
 */
export interface Checkpoint {
  readonly format: 'sess-migrate/1';
  /** The two stores, as printed (no credentials), to refuse another pair's file. */
  readonly from: string;
  readonly to: string;
  readonly pair: string;
  /** Where the next page starts; absent before the first page. */
  cursor?: string | undefined;
  tally: Tally;
  /** Target expiry of every session the target holds for us, by minute: [minute, count]. */
  expiries: Array<[number, number]>;
  /** A uniform sample of those sessions, checked in the target at the end: [id, expiresAt]. */
  sample: Array<[string, number]>;
  /** How many sessions the sample has seen, for reservoir sampling. */
  sampled: number;
  readonly startedAt: number;
}

/** The identity of a migration: both stores' locations and namespaces. */
export function pairOf(from: { location: string; namespace: string }, to: typeof from): string {
  return createHash('sha256')
    .update(JSON.stringify([from.location, from.namespace, to.location, to.namespace]))
    .digest('hex');
}

/** The default checkpoint file name for a pair, in the working directory. */
export function defaultCheckpointFile(pair: string): string {
  return `sess-migrate-${pair.slice(0, 12)}.json`;
}

export function readCheckpoint(file: string): Checkpoint | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as Checkpoint;
  if (parsed?.format !== 'sess-migrate/1') {
    throw new Error(`${file} is not a sess migrate checkpoint.`);
  }
  return parsed;
}

/** Writes the whole checkpoint to a temporary file and renames it over the old one. */
export function writeCheckpoint(file: string, checkpoint: Checkpoint): void {
  const temp = `${file}.tmp`;
  writeFileSync(temp, JSON.stringify(checkpoint), { mode: 0o600 });
  renameSync(temp, file);
}

export function removeCheckpoint(file: string): void {
  rmSync(file, { force: true });
  rmSync(`${file}.tmp`, { force: true });
}
