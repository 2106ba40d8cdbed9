import type { SessionStore } from '@sess/core';
import { type RunConformanceOptions, runStoreConformance } from '@sess/core/conformance';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { RedisStore } from '../../src/index.js';
import { type Address, type ClientName, connect, type TestClient } from './clients.js';

export interface Backend {
  readonly nodes: readonly Address[];
  kill(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * Runs the whole conformance suite against one client library on one kind of
 * backend: every group but the fault tier concurrently on one private server
 * (or cluster), then the fault tier alone on another, since it stops its
 * server and would fail any test running beside it.
 */
export function describeConformance(
  name: ClientName,
  topology: 'standalone' | 'cluster',
  startBackend: () => Promise<Backend>,
): void {
  const cluster = topology === 'cluster';

  describe(`${name}, ${topology}: the conformance suite`, () => {
    const env = setup(name, cluster, startBackend);
    let planted = 0;
    runStoreConformance({
      test: it.concurrent,
      // Real-time expiry checks get twice the default slack: the machines
      // that run this are small and shared.
      timing: { timeScale: 2 },
      groups: [
        'roundTrip',
        'ids',
        'records',
        'create',
        'update',
        'touch',
        'destroy',
        'expiry',
        'namespaces',
        'listing',
        'users',
        'sweep',
        'payload',
        'storm',
        'corrupt',
        'lifecycle',
      ],
      createStore: ({ namespace }) => ({
        store: new RedisStore({ client: env.client().client, prefix: prefixOf(namespace) }),
      }),
      foreign: ({ namespace }) => plantForeign(env.client(), prefixOf(namespace)),
      // Three kinds of damage in turn: foreign text, a wrong type, a cut header.
      corrupt: async ({ namespace, id }) => {
        const key = `${prefixOf(namespace)}|s|${id}`;
        const { command } = env.client();
        switch (planted++ % 3) {
          case 0:
            await command(['SET', key, 'not a session', 'KEEPTTL'], key);
            break;
          case 1:
            await command(['DEL', key], key);
            await command(['HSET', key, 'data', 'x'], key);
            break;
          default:
            await command(['SET', key, '1abc', 'KEEPTTL'], key);
        }
      },
    } satisfies RunConformanceOptions);
  });

  describe(`${name}, ${topology}: the fault tier (SIGKILL, restart on the same ports)`, () => {
    const env = setup(name, cluster, startBackend);
    const faults = {
      stop: () => env.backend().kill(),
      start: () => env.backend().start(),
    };
    runStoreConformance({
      test: it,
      groups: ['faults'],
      faults,
      timing: { timeScale: 2 },
      createStore: ({ namespace }) => ({
        store: new RedisStore({
          client: env.client().client,
          prefix: prefixOf(namespace),
          operationTimeoutMs: 1_000,
        }) satisfies SessionStore,
      }),
    });
  });
}

/**
 * The prefix a namespace maps to: the namespace with `_` read as `:`, so the
 * suite's namespaces that extend one another (`ns` and `nsb`, `ns` and
 * `ns_b`) become the prefixes `a` and `ab`, and `a` and `a:b`.
 */
function prefixOf(namespace: string): string {
  return namespace.replaceAll('_', ':');
}

/**
 * An application's own keys under a store's prefix, of several types and in
 * forms close to the store's; returns a check that each is still there,
 * unchanged.
 */
async function plantForeign(app: TestClient, prefix: string): Promise<() => Promise<boolean>> {
  const strings: Array<[string, string]> = [
    [`${prefix}config`, 'config'],
    [`${prefix}:cache:x`, 'cached'],
    [`${prefix}|config`, 'another tag'],
    [`${prefix}|s|not an id`, 'no session id'],
    [`${prefix}|u|nobody`, 'a string where an index would be'],
  ];
  const queue = `${prefix}:queue`;
  const hash = `${prefix}|s|hash`;
  for (const [key, value] of strings) await app.command(['SET', key, value], key);
  // Planting twice beside one namespace leaves the same keys.
  await app.command(['DEL', queue], queue);
  await app.command(['RPUSH', queue, 'job'], queue);
  await app.command(['HSET', hash, 'field', 'value'], hash);
  return async () => {
    for (const [key, value] of strings) {
      if ((await app.command(['GET', key], key)) !== value) return false;
    }
    return (
      Number(await app.command(['LLEN', queue], queue)) === 1 &&
      (await app.command(['HGET', hash, 'field'], hash)) === 'value'
    );
  };
}

function setup(name: ClientName, cluster: boolean, startBackend: () => Promise<Backend>) {
  let backend: Backend | undefined;
  let client: TestClient | undefined;
  beforeAll(async () => {
    backend = await startBackend();
    client = await connect(name, backend.nodes, { cluster });
  });
  afterAll(async () => {
    await client?.close();
    await backend?.dispose();
  });
  return {
    client: () => client ?? assertNever('client'),
    backend: () => backend ?? assertNever('backend'),
  };
}

function assertNever(what: string): never {
  throw new Error(`The ${what} was not started.`);
}
