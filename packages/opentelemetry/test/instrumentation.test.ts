import { SpanStatusCode } from '@opentelemetry/api';
import { type DataPoint, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { MemoryStore, SessionManager, type SessionStore } from '@sess/core';
import { RedisStore } from '@sess/redis';
import { LOOPBACK, type RedisServer, startRedis } from '@sess/test-servers';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { instrumentSess, type SessInstrumentation } from '../src/index.js';

/** Keeps collected metrics in memory: `collect()` reads them on demand. */
class InMemoryMetricReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

let redis: RedisServer;
let redisClient: ReturnType<typeof createClient>;
beforeAll(async () => {
  redis = await startRedis();
  redisClient = createClient({ url: `redis://${LOOPBACK}:${redis.port}` });
  await redisClient.connect();
});
afterAll(async () => {
  await redisClient?.close();
  await redis?.dispose();
});

const stores: ReadonlyArray<readonly [string, () => SessionStore]> = [
  ['MemoryStore', () => new MemoryStore()],
  ['RedisStore', () => new RedisStore({ client: redisClient, prefix: `otel:${Date.now()}:` })],
];

let spans: InMemorySpanExporter;
let reader: InMemoryMetricReader;
let instrumentation: SessInstrumentation;
beforeEach(() => {
  spans = new InMemorySpanExporter();
  reader = new InMemoryMetricReader();
  instrumentation = instrumentSess({
    tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
    meterProvider: new MeterProvider({ readers: [reader] }),
  });
});
afterEach(() => instrumentation.disable());

/** Every data point of every metric, by metric name. */
async function collectMetrics(): Promise<Map<string, DataPoint<unknown>[]>> {
  const { resourceMetrics } = await reader.collect();
  const out = new Map<string, DataPoint<unknown>[]>();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      out.set(metric.descriptor.name, metric.dataPoints as DataPoint<unknown>[]);
    }
  }
  return out;
}

function describeSpan(span: ReadableSpan): string {
  return `${span.name} ${span.attributes['sess.outcome']}`;
}

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

describe.each(stores)('on %s', (storeName, open) => {
  it('records one span per store call and per commit, with the latency histogram and the conflict count', async () => {
    const store = open();
    const manager = new SessionManager({ store });
    try {
      const first = await manager.load(undefined);
      first.set('visits', 1);
      const cookie = await manager.commit(first); // create
      if (!cookie || !('token' in cookie)) throw new Error('the first commit sets a cookie');
      const a = await manager.load(cookie.token); // get
      const b = await manager.load(cookie.token); // get, same version as a
      a.set('visits', 2);
      await manager.commit(a); // update
      b.set('theme', 'dark');
      await manager.commit(b); // update: conflict; get; update

      const finished = spans.getFinishedSpans();
      console.log(`${storeName} spans:\n  ${finished.map(describeSpan).join('\n  ')}`);
      expect(finished.map(describeSpan)).toEqual([
        'sess.store.create ok',
        'sess.commit saved',
        'sess.store.get found',
        'sess.store.get found',
        'sess.store.update ok',
        'sess.commit saved',
        'sess.store.update conflict',
        'sess.store.get found',
        'sess.store.update ok',
        'sess.commit saved',
      ]);
      for (const span of finished) {
        expect(span.attributes['sess.store']).toBe(storeName);
        expect(span.status.code).toBe(SpanStatusCode.UNSET);
        // Nothing that names the session: no id, no token.
        expect(JSON.stringify(span.attributes)).not.toContain(cookie.token);
        expect(JSON.stringify(span.attributes)).not.toContain(a.id as string);
      }
      // A commit's store calls are its children; the loads' gets are not.
      const commits = finished.filter((span) => span.name === 'sess.commit');
      const commitIds = commits.map((span) => span.spanContext().spanId);
      expect(parentOf(finished[0] as ReadableSpan)).toBe(commitIds[0]);
      expect(parentOf(finished[4] as ReadableSpan)).toBe(commitIds[1]);
      expect(finished.slice(6, 9).map(parentOf)).toEqual([
        commitIds[2],
        commitIds[2],
        commitIds[2],
      ]);
      expect(parentOf(finished[2] as ReadableSpan)).toBeUndefined();

      const metrics = await collectMetrics();
      const latency = (metrics.get('sess.store.duration') ?? []).map((point) => ({
        operation: point.attributes['sess.operation'],
        outcome: point.attributes['sess.outcome'],
        count: (point.value as { count: number }).count,
      }));
      console.log(`${storeName} sess.store.duration counts:`, JSON.stringify(latency));
      expect(latency).toEqual(
        expect.arrayContaining([
          { operation: 'create', outcome: 'ok', count: 1 },
          { operation: 'get', outcome: 'found', count: 3 },
          { operation: 'update', outcome: 'ok', count: 2 },
          { operation: 'update', outcome: 'conflict', count: 1 },
        ]),
      );
      expect(latency).toHaveLength(4);
      const commitsTimed = metrics.get('sess.commit.duration') ?? [];
      expect(commitsTimed.map((point) => (point.value as { count: number }).count)).toEqual([3]);
      const conflicts = metrics.get('sess.conflicts') ?? [];
      const retries = metrics.get('sess.retries') ?? [];
      console.log(
        `${storeName} sess.conflicts = ${conflicts[0]?.value}, sess.retries = ${retries[0]?.value}`,
      );
      expect(conflicts.map((point) => [point.attributes['sess.store'], point.value])).toEqual([
        [storeName, 1],
      ]);
      expect(retries.map((point) => point.value)).toEqual([1]);
    } finally {
      await store.close();
    }
  });

  it('gives a failed store call and its commit an error status', async () => {
    const store = open();
    const manager = new SessionManager({ store });
    const session = await manager.load(undefined);
    session.set('visits', 1);
    await store.close();
    await expect(manager.commit(session)).rejects.toMatchObject({
      code: 'SESS_STORE_UNAVAILABLE',
    });
    const finished = spans.getFinishedSpans();
    expect(
      finished.map((span) => [span.name, span.status.code, span.attributes['error.type']]),
    ).toEqual([
      ['sess.store.create', SpanStatusCode.ERROR, 'SESS_STORE_UNAVAILABLE'],
      ['sess.commit', SpanStatusCode.ERROR, 'SESS_STORE_UNAVAILABLE'],
    ]);
    const latency = (await collectMetrics()).get('sess.store.duration') ?? [];
    expect(latency.map((point) => point.attributes['sess.outcome'])).toEqual(['error']);
  });
});

it('counts sweeps and the sessions they removed', async () => {
  let now = Date.UTC(2030, 0, 1);
  const store = new MemoryStore({ now: () => now });
  const manager = new SessionManager({ store, now: () => now, idleTimeoutMs: 60_000 });
  for (let i = 0; i < 3; i++) {
    const session = await manager.load(undefined);
    session.set('i', i);
    await manager.commit(session);
  }
  now += 120_000;
  const sweeper = store.startSweeper({ intervalMs: 60_000 });
  try {
    expect((await sweeper.runNow()).deleted).toBe(3);
    expect((await sweeper.runNow()).deleted).toBe(0);
  } finally {
    await store.close();
  }
  const metrics = await collectMetrics();
  const sweeps = metrics.get('sess.sweeps') ?? [];
  const deleted = metrics.get('sess.sweep.deleted') ?? [];
  console.log(`sess.sweeps = ${sweeps[0]?.value}, sess.sweep.deleted = ${deleted[0]?.value}`);
  expect(sweeps.map((point) => [point.attributes['sess.outcome'], point.value])).toEqual([
    ['done', 2],
  ]);
  expect(deleted.map((point) => [point.attributes['sess.store'], point.value])).toEqual([
    ['MemoryStore', 3],
  ]);
});

it('records nothing once disabled', async () => {
  instrumentation.disable();
  const manager = new SessionManager({ store: new MemoryStore() });
  const session = await manager.load(undefined);
  session.set('visits', 1);
  await manager.commit(session);
  expect(spans.getFinishedSpans()).toEqual([]);
});
