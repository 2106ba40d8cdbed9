import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import {
  type Attributes,
  type Context,
  type Histogram,
  type MeterProvider,
  metrics,
  context as otelContext,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import {
  type CommitEvent,
  type ConflictEvent,
  type RenewEvent,
  type RetryEvent,
  type RotateEvent,
  type StoreOperationEvent,
  type SweepEvent,
  sessChannels,
  type UnreadableEvent,
} from '@sess/core';

export interface SessInstrumentationOptions {
  /** Where spans go. Default: the global tracer provider (`trace.getTracerProvider()`). */
  readonly tracerProvider?: TracerProvider;
  /** Where metrics go. Default: the global meter provider (`metrics.getMeterProvider()`). */
  readonly meterProvider?: MeterProvider;
}

/** A running instrumentation; `disable()` unsubscribes from every channel. */
export interface SessInstrumentation {
  disable(): void;
}

/** The instrumentation scope spans and metrics are recorded under. */
export const INSTRUMENTATION_NAME = '@sess/opentelemetry';

/** A span under way, with its start for the duration histogram. */
interface Open {
  readonly span: Span;
  readonly started: number;
  failed: boolean;
}

type TraceHandlers = Parameters<diagnosticsChannel.TracingChannel<object, object>['subscribe']>[0];

const ignore = () => {};

/**
 * Records sess's `node:diagnostics_channel` events as OpenTelemetry spans
 * and metrics:
 *
 * - a span per store call the manager makes (`sess.store.get`, `.create`,
 *   `.update`, `.touch`, `.destroy`, ...) and per commit (`sess.commit`),
 *   a commit's store calls as its children; attributes `sess.store`,
 *   `sess.operation`, `sess.outcome`; error status and the exception on a
 *   failure;
 * - histograms `sess.store.duration` and `sess.commit.duration` (seconds);
 * - counters `sess.conflicts`, `sess.retries`, `sess.unreadable`,
 *   `sess.renewals`, `sess.rotations`, `sess.sweeps` (by `sess.outcome`:
 *   `done`, `skipped`, `failed`) and `sess.sweep.deleted`.
 *
 * No session id, token, user id or data is recorded.
 *
 * @example
 * import { instrumentSess } from '@sess/opentelemetry';
 *
 * // after the OpenTelemetry SDK is set up:
 * const instrumentation = instrumentSess();
 * // ...on shutdown:
 * instrumentation.disable();
 */
export function instrumentSess(options: SessInstrumentationOptions = {}): SessInstrumentation {
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
    INSTRUMENTATION_NAME,
  );
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(
    INSTRUMENTATION_NAME,
  );
  const storeDuration = meter.createHistogram('sess.store.duration', {
    description: 'Duration of the store calls a SessionManager makes.',
    unit: 's',
  });
  const commitDuration = meter.createHistogram('sess.commit.duration', {
    description: 'Duration of SessionManager commits, store calls included.',
    unit: 's',
  });
  const counter = (name: string, description: string) => meter.createCounter(name, { description });
  const conflicts = counter(
    'sess.conflicts',
    'Compare-and-set updates lost to a concurrent write.',
  );
  const retries = counter('sess.retries', 'Saves retried after a conflict.');
  const unreadable = counter('sess.unreadable', 'Stored sessions that could not be read back.');
  const renewals = counter('sess.renewals', 'Unchanged sessions whose expiry was moved forward.');
  const rotations = counter('sess.rotations', 'Sessions moved to a new token.');
  const sweeps = counter('sess.sweeps', 'Background sweeps of expired sessions.');
  const sweepDeleted = counter('sess.sweep.deleted', 'Expired sessions removed by sweeps.');

  const open = new WeakMap<object, Open>();
  // The commit under way, so that the store calls it makes become its children.
  const commitScope = new AsyncLocalStorage<Context>();

  const begin = (event: object, name: string, attributes: Attributes, parent: Context): Span => {
    const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes }, parent);
    open.set(event, { span, started: performance.now(), failed: false });
    return span;
  };
  const fail = (message: unknown) => {
    const event = message as { error?: unknown };
    const entry = open.get(event as object);
    if (!entry) return;
    entry.failed = true;
    const error = event.error;
    const type = errorType(error);
    entry.span.setAttribute('error.type', type);
    if (error instanceof Error) entry.span.recordException(error);
    entry.span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : type,
    });
  };
  const finish = (message: unknown, histogram: Histogram, attributes: Attributes) => {
    const entry = open.get(message as object);
    if (!entry) return;
    open.delete(message as object);
    const { outcome, count, error } = message as {
      outcome?: string;
      count?: number;
      error?: unknown;
    };
    const recorded = entry.failed
      ? { ...attributes, 'sess.outcome': 'error', 'error.type': errorType(error) }
      : { ...attributes, 'sess.outcome': outcome ?? 'ok' };
    entry.span.setAttribute('sess.outcome', recorded['sess.outcome']);
    if (count !== undefined) entry.span.setAttribute('sess.count', count);
    entry.span.end();
    histogram.record((performance.now() - entry.started) / 1000, recorded);
  };

  const storeHandlers: TraceHandlers = {
    start(message) {
      const event = message as StoreOperationEvent;
      begin(
        event,
        `sess.store.${event.operation}`,
        { 'sess.store': event.store, 'sess.operation': event.operation },
        commitScope.getStore() ?? otelContext.active(),
      );
    },
    end: ignore,
    asyncStart: ignore,
    error: fail,
    asyncEnd(message) {
      const event = message as StoreOperationEvent;
      finish(event, storeDuration, {
        'sess.store': event.store,
        'sess.operation': event.operation,
      });
    },
  };
  const commitHandlers: TraceHandlers = {
    start: ignore,
    end: ignore,
    asyncStart: ignore,
    error: fail,
    asyncEnd(message) {
      finish(message, commitDuration, { 'sess.store': (message as CommitEvent).store });
    },
  };
  const storeTrace = diagnosticsChannel.tracingChannel(sessChannels.store);
  const commitTrace = diagnosticsChannel.tracingChannel(sessChannels.commit);
  storeTrace.subscribe(storeHandlers);
  commitTrace.subscribe(commitHandlers);
  // The commit span is opened as the commit starts, and is the active
  // context of everything the commit runs.
  commitTrace.start.bindStore(commitScope, (message) => {
    const event = message as CommitEvent;
    const parent = otelContext.active();
    const span = begin(event, 'sess.commit', { 'sess.store': event.store }, parent);
    return trace.setSpan(parent, span);
  });

  const plain: Array<[string, (message: unknown) => void]> = [
    [sessChannels.conflict, (m) => conflicts.add(1, storeOf(m as ConflictEvent))],
    [sessChannels.retry, (m) => retries.add(1, storeOf(m as RetryEvent))],
    [
      sessChannels.unreadable,
      (m) =>
        unreadable.add(1, {
          ...storeOf(m as UnreadableEvent),
          'sess.reason': (m as UnreadableEvent).reason,
        }),
    ],
    [sessChannels.renew, (m) => renewals.add(1, storeOf(m as RenewEvent))],
    [sessChannels.rotate, (m) => rotations.add(1, storeOf(m as RotateEvent))],
    [
      sessChannels.sweep,
      (m) => {
        const event = m as SweepEvent;
        if ('error' in event) {
          sweeps.add(1, { ...storeOf(event), 'sess.outcome': 'failed' });
          return;
        }
        sweeps.add(1, { ...storeOf(event), 'sess.outcome': event.skipped ? 'skipped' : 'done' });
        sweepDeleted.add(event.deleted, storeOf(event));
      },
    ],
  ];
  for (const [name, listener] of plain) diagnosticsChannel.subscribe(name, listener);

  let enabled = true;
  return {
    disable() {
      if (!enabled) return;
      enabled = false;
      storeTrace.unsubscribe(storeHandlers);
      commitTrace.unsubscribe(commitHandlers);
      commitTrace.start.unbindStore(commitScope);
      for (const [name, listener] of plain) diagnosticsChannel.unsubscribe(name, listener);
    },
  };
}

function storeOf(event: { readonly store: string }): Attributes {
  return { 'sess.store': event.store };
}

/** The error's stable code when it has one (`SESS_STORE_UNAVAILABLE`), else its class name. */
function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { code, name } = error as { code?: unknown; name?: unknown };
    if (typeof code === 'string') return code;
    if (typeof name === 'string') return name;
  }
  return 'Error';
}
