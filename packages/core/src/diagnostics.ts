/**
 * What sess publishes on `node:diagnostics_channel`, the way undici and
 * Fastify expose their internals: any tool subscribes by channel name, and
 * with no subscriber nothing is built. No event carries session data, a
 * token or a user id; a session is named at most by its store id (the
 * SHA-256 of its token, the id the store itself sees).
 */
import diagnosticsChannel, { type TracingChannel } from 'node:diagnostics_channel';

/** The names of every channel sess publishes on. */
export const sessChannels = {
  /** Tracing channel: one trace per store call the manager makes. Context: `StoreOperationEvent`. */
  store: 'sess:store',
  /** Tracing channel: one trace per `manager.commit()`. Context: `CommitEvent`. */
  commit: 'sess:commit',
  /** A compare-and-set `update` lost to a concurrent writer. Message: `ConflictEvent`. */
  conflict: 'sess:conflict',
  /** The manager retries a save after a conflict. Message: `RetryEvent`. */
  retry: 'sess:retry',
  /** A stored record could not be read and the session starts afresh. Message: `UnreadableEvent`. */
  unreadable: 'sess:unreadable',
  /** An unchanged session's expiry was moved forward (a `touch`). Message: `RenewEvent`. */
  renew: 'sess:renew',
  /** A session moved to a new token (`regenerate()`). Message: `RotateEvent`. */
  rotate: 'sess:rotate',
  /** A background sweep finished or failed. Message: `SweepEvent`. */
  sweep: 'sess:sweep',
} as const;

/** The store calls the manager makes, as `StoreOperationEvent.operation` names them. */
export type StoreOperation =
  | 'get'
  | 'create'
  | 'update'
  | 'touch'
  | 'destroy'
  | 'list'
  | 'count'
  | 'destroyByUser'
  | 'clearExpired'
  | 'clear';

/**
 * The context object of a `sess:store` trace. `outcome` is set before the
 * `asyncEnd` event; on a failure the tracing channel sets `error` instead.
 */
export interface StoreOperationEvent {
  readonly operation: StoreOperation;
  /** The store's class name (`'RedisStore'`). */
  readonly store: string;
  /** The store id the call is about, when it is about one. */
  readonly sessionId?: string;
  /**
   * How it went: `get`: `found` or `missing`; `create`/`update`: `ok`,
   * `exists`, `missing` or `conflict`; `touch`: `ok` or `missing`; the rest: `ok`.
   */
  outcome?: string;
  /** Records counted, listed or removed (`count`, `list`, `destroyByUser`, `clearExpired`). */
  count?: number;
  error?: unknown;
}

/** The context object of a `sess:commit` trace. */
export interface CommitEvent {
  readonly store: string;
  /** The store id of the session as loaded; absent for a new session. */
  readonly sessionId?: string;
  /** `saved` (a cookie to set), `cleared` (a cookie to clear) or `none`. Set before `asyncEnd`. */
  outcome?: 'saved' | 'cleared' | 'none';
  error?: unknown;
}

export interface ConflictEvent {
  readonly store: string;
  readonly sessionId: string;
}

export interface RetryEvent {
  readonly store: string;
  readonly sessionId: string;
  /** 1 for the first retry. */
  readonly attempt: number;
}

export interface UnreadableEvent {
  readonly store: string;
  readonly sessionId: string;
  /** `corrupt`: the store reported it (`CorruptRecordError`); `undecodable`: the envelope or codec refused it. */
  readonly reason: 'corrupt' | 'undecodable';
}

export interface RenewEvent {
  readonly store: string;
  readonly sessionId: string;
  /** The new expiry, epoch ms. */
  readonly expiresAt: number;
}

export interface RotateEvent {
  readonly store: string;
  /** The store id the session left (now worthless). */
  readonly fromSessionId: string;
  readonly sessionId: string;
}

export type SweepEvent =
  | {
      readonly store: string;
      readonly deleted: number;
      readonly durationMs: number;
      readonly skipped: boolean;
    }
  | { readonly store: string; readonly error: Error };

type AnyContext = object;
export const storeTrace: TracingChannel<AnyContext, AnyContext> = diagnosticsChannel.tracingChannel(
  sessChannels.store,
);
export const commitTrace: TracingChannel<AnyContext, AnyContext> =
  diagnosticsChannel.tracingChannel(sessChannels.commit);
const conflictChannel = diagnosticsChannel.channel(sessChannels.conflict);
const retryChannel = diagnosticsChannel.channel(sessChannels.retry);
const unreadableChannel = diagnosticsChannel.channel(sessChannels.unreadable);
const renewChannel = diagnosticsChannel.channel(sessChannels.renew);
const rotateChannel = diagnosticsChannel.channel(sessChannels.rotate);
const sweepChannel = diagnosticsChannel.channel(sessChannels.sweep);

/** `TracingChannel#hasSubscribers` arrived in Node 20.13; this works on 20.12 too. */
export function isTraced(channel: TracingChannel<AnyContext, AnyContext>): boolean {
  return (
    channel.start.hasSubscribers ||
    channel.end.hasSubscribers ||
    channel.asyncStart.hasSubscribers ||
    channel.asyncEnd.hasSubscribers ||
    channel.error.hasSubscribers
  );
}

/**
 * Runs `call` inside a trace of `channel` when someone listens, and plainly
 * otherwise. The trace's `result` is never the value itself (it may hold
 * session data or a token): `describe` copies what may be told into the
 * context before the trace ends.
 */
export async function traced<Context extends AnyContext, T>(
  channel: TracingChannel<AnyContext, AnyContext>,
  context: () => Context,
  call: () => Promise<T>,
  describe: (context: Context, value: T) => void,
): Promise<T> {
  if (!isTraced(channel)) return call();
  const event = context();
  let value!: T;
  await channel.tracePromise(async () => {
    value = await call();
    describe(event, value);
  }, event);
  return value;
}

/** The name events give a store: its class name. */
export function storeName(store: object): string {
  return store.constructor?.name || 'SessionStore';
}

/** True when a `sess:conflict` subscriber would hear a conflict. */
export function conflictObserved(): boolean {
  return conflictChannel.hasSubscribers;
}

export function publishConflict(store: object, sessionId: string): void {
  if (conflictChannel.hasSubscribers) {
    conflictChannel.publish({ store: storeName(store), sessionId } satisfies ConflictEvent);
  }
}

export function publishRetry(store: object, sessionId: string, attempt: number): void {
  if (retryChannel.hasSubscribers) {
    retryChannel.publish({ store: storeName(store), sessionId, attempt } satisfies RetryEvent);
  }
}

export function publishUnreadable(
  store: object,
  sessionId: string,
  reason: UnreadableEvent['reason'],
): void {
  if (unreadableChannel.hasSubscribers) {
    unreadableChannel.publish({
      store: storeName(store),
      sessionId,
      reason,
    } satisfies UnreadableEvent);
  }
}

export function publishRenew(store: object, sessionId: string, expiresAt: number): void {
  if (renewChannel.hasSubscribers) {
    renewChannel.publish({ store: storeName(store), sessionId, expiresAt } satisfies RenewEvent);
  }
}

export function publishRotate(store: object, fromSessionId: string, sessionId: string): void {
  if (rotateChannel.hasSubscribers) {
    rotateChannel.publish({
      store: storeName(store),
      fromSessionId,
      sessionId,
    } satisfies RotateEvent);
  }
}

/** Publishes a sweep's report or failure once it settles (the caller handles its rejection). */
export function publishSweep(
  store: string,
  sweep: Promise<{ deleted: number; durationMs: number; skipped?: boolean }>,
): void {
  if (!sweepChannel.hasSubscribers) return;
  sweep.then(
    (report) =>
      sweepChannel.publish({
        store,
        deleted: report.deleted,
        durationMs: report.durationMs,
        skipped: report.skipped === true,
      } satisfies SweepEvent),
    (error: unknown) =>
      sweepChannel.publish({
        store,
        error: error instanceof Error ? error : new Error(String(error)),
      } satisfies SweepEvent),
  );
}
