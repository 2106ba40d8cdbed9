import { resolve, sep } from 'node:path';
import type { ListPage, SessionStore } from '@sess/core';
import { type OpenedStore, parseStoreUrl, type StoreUrl } from '@sess/url';
import { type CliIo, Failure, formatCount, UsageError } from '../io.js';
import {
  type Checkpoint,
  defaultCheckpointFile,
  emptyTally,
  listed,
  OUTCOMES,
  pairOf,
  readCheckpoint,
  removeCheckpoint,
  type Tally,
  writeCheckpoint,
} from '../migrate/checkpoint.js';
import { copyOne } from '../migrate/copy.js';
import { withStore } from '../open.js';
import { mapConcurrent } from '../pool.js';
import { startProgress } from '../progress.js';

export interface MigrateOptions {
  readonly resume: boolean;
  readonly dryRun: boolean;
  readonly checkpoint?: string | undefined;
  readonly batch: number;
  readonly concurrency: number;
  readonly json: boolean;
}

const MINUTE_MS = 60_000;
const SAMPLE_SIZE = 200;

/** A migration stopped by Ctrl-C at a consistent point: exit status 130. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
}

/**
 * True when the two URLs name the same sessions, or one's namespace holds the
 * other's. Redis and memcached prefixes never do (a Redis key puts a separator
 * after the prefix; a memcached prefix ends with a character no id holds).
 */
function overlaps(a: StoreUrl, b: StoreUrl): boolean {
  if (a.location === b.location) return a.namespace === b.namespace;
  // Two session directories, one inside the other.
  if (a.scheme === 'file' && b.scheme === 'file') {
    const inside = (x: string, y: string) => resolve(x).startsWith(resolve(y) + sep);
    return inside(a.path, b.path) || inside(b.path, a.path);
  }
  return false;
}

/** Counts target expiries by minute and keeps a uniform sample, for the final check. */
class Ledger {
  readonly #expiries: Map<number, number>;

  constructor(readonly state: Checkpoint) {
    this.#expiries = new Map(state.expiries);
  }

  /** The checkpoint with the expiries counted so far. */
  snapshot(): Checkpoint {
    this.state.expiries = [...this.#expiries];
    return this.state;
  }

  record(id: string, expiresAt: number): void {
    const minute = Math.floor(expiresAt / MINUTE_MS);
    this.#expiries.set(minute, (this.#expiries.get(minute) ?? 0) + 1);
    // Reservoir sampling: every session has the same chance to be checked.
    const seen = ++this.state.sampled;
    if (this.state.sample.length < SAMPLE_SIZE) this.state.sample.push([id, expiresAt]);
    else {
      const slot = Math.floor(Math.random() * seen);
      if (slot < SAMPLE_SIZE) this.state.sample[slot] = [id, expiresAt];
    }
  }

  /** Sessions the target must still hold: those expiring after the next minute. */
  stillLive(now: number): number {
    const after = Math.floor(now / MINUTE_MS) + 1;
    let live = 0;
    for (const [minute, n] of this.#expiries) if (minute > after) live += n;
    return live;
  }
}

interface Verification {
  readonly targetLive: number | null;
  readonly expectedAtLeast: number;
  readonly sourceLive: number | null;
  readonly sampled: number;
  readonly missing: number;
  readonly problems: string[];
}

async function verify(
  source: SessionStore,
  target: SessionStore,
  ledger: Ledger,
  tally: Tally,
  seen: number,
): Promise<Verification> {
  const problems: string[] = [];
  if (listed(tally) !== seen) {
    problems.push(`${seen} sessions were listed but ${listed(tally)} accounted for`);
  }
  const now = Date.now();
  const expectedAtLeast = ledger.stillLive(now);
  const targetLive = target.capabilities.count ? ((await target.count?.()) ?? null) : null;
  if (targetLive !== null && targetLive < expectedAtLeast) {
    problems.push(
      `the target holds ${formatCount(targetLive)} live sessions, fewer than the ${formatCount(expectedAtLeast)} migrated sessions that are still live`,
    );
  }
  const checked = ledger.state.sample.filter(([, expiresAt]) => expiresAt > now + MINUTE_MS);
  const found = await mapConcurrent(checked, 32, ([id]) => target.get(id));
  const missing = found.filter((record) => record === null).length;
  if (missing > 0) {
    problems.push(`${missing} of ${checked.length} sampled sessions are missing from the target`);
  }
  const sourceLive = source.capabilities.count ? ((await source.count?.()) ?? null) : null;
  return { targetLive, expectedAtLeast, sourceLive, sampled: checked.length, missing, problems };
}

/**
 * `sess migrate <from> <to>`: copies every live session (data, expiry, user
 * id) from one store to another, page by page, never overwriting a newer
 * record, with a checkpoint after every page so `--resume` continues an
 * interrupted run. Counts are checked at the end.
 */
export async function migrate(
  io: CliIo,
  fromSpec: string,
  toSpec: string,
  options: MigrateOptions,
): Promise<void> {
  const from = parseStoreUrl(fromSpec);
  const to = parseStoreUrl(toSpec);
  if (overlaps(from, to)) {
    throw new UsageError(
      `The source and the target are the same sessions (${from.description}); migrate to another store, prefix, table or directory.`,
    );
  }
  const pair = pairOf(from, to);
  const file = options.checkpoint ?? defaultCheckpointFile(pair);
  const saved = options.dryRun ? undefined : readCheckpoint(file);
  if (saved && !options.resume) {
    throw new UsageError(
      `An interrupted migration left ${file}: pass --resume to continue it, or delete it to start over.`,
    );
  }
  if (options.resume && !saved) {
    throw new UsageError(
      options.dryRun
        ? '--resume and --dry-run do not go together.'
        : `Nothing to resume: ${file} does not exist.`,
    );
  }
  if (saved && saved.pair !== pair) {
    throw new UsageError(`${file} belongs to the migration ${saved.from} → ${saved.to}.`);
  }
  const state: Checkpoint = saved ?? {
    format: 'sess-migrate/1',
    from: from.description,
    to: to.description,
    pair,
    tally: emptyTally(),
    expiries: [],
    sample: [],
    sampled: 0,
    startedAt: Date.now(),
  };
  await withStore(io, fromSpec, {}, (source) =>
    withStore(io, toSpec, { mode: options.dryRun ? 'use' : 'create' }, (target) =>
      run(io, source, target, state, file, options),
    ),
  );
}

async function run(
  io: CliIo,
  { store: source }: OpenedStore,
  { store: target }: OpenedStore,
  state: Checkpoint,
  file: string,
  options: MigrateOptions,
): Promise<void> {
  if (!source.capabilities.list || !source.list) {
    throw new UsageError(
      `${state.from} cannot list its sessions, so it cannot be a migration source.`,
    );
  }
  const ledger = new Ledger(state);
  const tally = state.tally;
  const before = listed(tally);
  const total = source.capabilities.count ? await source.count?.() : undefined;
  const progress = startProgress(
    io,
    options.dryRun ? 'migrate (dry run)' : 'migrate',
    total === undefined ? undefined : total + before,
    'sessions',
  );
  progress.update(before);
  const started = performance.now();
  const page = (cursor: string | undefined) =>
    (source.list as NonNullable<SessionStore['list']>).call(source, {
      limit: options.batch,
      ...(cursor === undefined ? {} : { cursor }),
    });
  let seen = before;
  let next: ReturnType<typeof page> | undefined = page(state.cursor);
  while (next) {
    const { ids, cursor }: ListPage = await next;
    // List the next page while this one is copied.
    next = cursor === undefined ? undefined : page(cursor);
    next?.catch(() => undefined);
    const results = await mapConcurrent(ids, options.concurrency, (id) =>
      copyOne(id, source, target, options.dryRun),
    );
    results.forEach(({ outcome, targetExpiresAt }, i) => {
      tally[outcome]++;
      if (targetExpiresAt !== undefined) ledger.record(ids[i] as string, targetExpiresAt);
    });
    seen += ids.length;
    progress.update(seen);
    state.cursor = cursor;
    if (!options.dryRun) writeCheckpoint(file, ledger.snapshot());
    if (cursor !== undefined && io.signal?.aborted) {
      progress.stop();
      throw new Interrupted(
        `Interrupted after ${formatCount(seen)} sessions; the target is consistent. Continue with --resume${options.checkpoint ? ` --checkpoint ${file}` : ''}.`,
      );
    }
  }
  progress.stop();
  const seconds = (performance.now() - started) / 1000;
  const rate = Math.round((seen - before) / Math.max(seconds, 0.001));
  const verification = options.dryRun
    ? undefined
    : await verify(source, target, ledger, tally, seen);
  const problems = [
    ...(verification?.problems ?? []),
    ...(tally.failed > 0
      ? [
          `${formatCount(tally.failed)} sessions could not be copied (too large for the target, or unreadable in the source)`,
        ]
      : []),
  ];
  // The listing is complete: a run after this one starts over (and finds what is there).
  if (!options.dryRun) removeCheckpoint(file);
  if (options.json) {
    io.out(
      JSON.stringify({
        from: state.from,
        to: state.to,
        dryRun: options.dryRun,
        listed: seen,
        ...tally,
        durationMs: Math.round(seconds * 1000),
        sessionsPerSecond: rate,
        verification: verification ?? null,
        ok: problems.length === 0,
      }),
    );
  } else {
    const verb = options.dryRun ? 'would migrate' : 'migrated';
    io.out(
      `${verb} ${state.from} → ${state.to}: ${formatCount(seen)} sessions in ${seconds.toFixed(1)} s (${formatCount(rate)}/s)`,
    );
    const words: Record<(typeof OUTCOMES)[number], string> = {
      copied: options.dryRun ? 'to copy' : 'copied',
      updated: options.dryRun ? 'to update (target older)' : 'updated (target older)',
      present: 'already there',
      kept: 'kept (target newer)',
      gone: 'expired meanwhile',
      failed: 'failed',
    };
    io.out(`  ${OUTCOMES.map((o) => `${words[o]} ${formatCount(tally[o])}`).join(', ')}`);
    if (verification) {
      const live =
        verification.targetLive === null
          ? 'the target cannot count'
          : `the target holds ${formatCount(verification.targetLive)} live sessions`;
      io.out(
        `  checked: ${live} (at least ${formatCount(verification.expectedAtLeast)} expected), ${verification.sampled - verification.missing} of ${verification.sampled} sampled sessions present${verification.sourceLive === null ? '' : `; the source now holds ${formatCount(verification.sourceLive)}`}`,
      );
    }
  }
  if (problems.length > 0) {
    for (const problem of problems) io.err(`sess: ${problem}`);
    throw new Failure(
      options.dryRun ? 'the dry run found problems' : 'the migration is incomplete',
    );
  }
}
