import type { SessionStore, WriteResult } from '../contract.js';
import {
  type CommitEvent,
  commitTrace,
  conflictObserved,
  isTraced,
  publishConflict,
  type StoreOperation,
  type StoreOperationEvent,
  storeName,
  storeTrace,
  traced,
} from '../diagnostics.js';
import type { CommitResult } from './manager.js';

type Describe = (event: StoreOperationEvent, value: never) => void;

const written: Describe = (event, result: WriteResult) => {
  event.outcome = result.ok ? 'ok' : result.reason;
};
const done: Describe = (event) => {
  event.outcome = 'ok';
};
const counted: Describe = (event, count: number) => {
  event.outcome = 'ok';
  event.count = count;
};

/** How each traced operation describes its result, and whether its first argument is an id. */
const operations: Record<StoreOperation, { readonly byId: boolean; readonly describe: Describe }> =
  {
    get: {
      byId: true,
      describe: (event, stored: unknown) => {
        event.outcome = stored ? 'found' : 'missing';
      },
    },
    create: { byId: true, describe: written },
    update: { byId: true, describe: written },
    touch: {
      byId: true,
      describe: (event, touched: boolean) => {
        event.outcome = touched ? 'ok' : 'missing';
      },
    },
    destroy: { byId: true, describe: done },
    list: {
      byId: false,
      describe: (event, page: { ids: string[] }) => {
        event.outcome = 'ok';
        event.count = page.ids.length;
      },
    },
    count: { byId: false, describe: counted },
    destroyByUser: { byId: false, describe: counted },
    clearExpired: { byId: false, describe: counted },
    clear: { byId: false, describe: done },
  };

/**
 * The store as the manager calls it: the same object to every caller
 * (`instanceof`, its own methods and properties all work), except that the
 * contract's operations publish a `sess:store` trace when someone listens,
 * and a lost compare-and-set publishes `sess:conflict`. Every store, a
 * third party's too, is covered without a change to it. With no subscriber
 * an operation costs one check more than calling the store directly.
 */
export function observeStore<S extends SessionStore>(store: S): S {
  const name = storeName(store);
  const wrapped = new Map<PropertyKey, unknown>();
  for (const operation of Object.keys(operations) as StoreOperation[]) {
    const method = store[operation] as ((...args: unknown[]) => Promise<unknown>) | undefined;
    if (typeof method !== 'function') continue;
    const { byId, describe } = operations[operation];
    const observed = async (args: unknown[]) => {
      const value = await traced(
        storeTrace,
        (): StoreOperationEvent =>
          byId && typeof args[0] === 'string'
            ? { operation, store: name, sessionId: args[0] }
            : { operation, store: name },
        (): Promise<unknown> => method.apply(store, args),
        describe as (event: StoreOperationEvent, value: unknown) => void,
      );
      const result = value as Partial<{ ok: boolean; reason: string }>;
      if (operation === 'update' && result.ok === false && result.reason === 'conflict') {
        publishConflict(store, args[0] as string);
      }
      return value;
    };
    wrapped.set(operation, (...args: unknown[]) =>
      isTraced(storeTrace) || (operation === 'update' && conflictObserved())
        ? observed(args)
        : method.apply(store, args),
    );
  }
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, key) {
      const operation = wrapped.get(key);
      if (operation !== undefined) return operation;
      const value: unknown = Reflect.get(target, key, target);
      // Methods of the store run on the store itself (they may use private fields).
      if (typeof value !== 'function' || key === 'constructor') return value;
      let method = bound.get(key);
      if (method === undefined) {
        method = value.bind(target);
        bound.set(key, method);
      }
      return method;
    },
  });
}

/** Runs one commit inside a `sess:commit` trace when someone listens. */
export function traceCommit(
  store: SessionStore,
  sessionId: string | undefined,
  commit: () => Promise<CommitResult>,
): Promise<CommitResult> {
  return traced(
    commitTrace,
    (): CommitEvent =>
      sessionId === undefined
        ? { store: storeName(store) }
        : { store: storeName(store), sessionId },
    commit,
    (event, result) => {
      event.outcome = result === null ? 'none' : 'token' in result ? 'saved' : 'cleared';
    },
  );
}
