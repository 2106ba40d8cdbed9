import type { ConformanceContext } from '../context.js';

export type Operation = [name: string, call: () => Promise<unknown>];

/** Every operation the store declares, aimed at `id`. */
export function everyOperation(t: ConformanceContext, id: string): Operation[] {
  const { store, capabilities } = t;
  const ops: Operation[] = [
    ['get', () => store.get(id)],
    ['create', () => store.create(t.newId(), t.record())],
    ['update', () => store.update(id, t.record('changed'))],
    ['update with ifVersion', () => store.update(id, t.record('changed'), { ifVersion: '1' })],
    ['touch', () => store.touch(id, t.expiresIn(60_000))],
    ['destroy', () => store.destroy(t.newId())],
  ];
  const { list, count, destroyByUser, clearExpired, clear } = store;
  if (capabilities.list && list) ops.push(['list', () => list.call(store, { limit: 10 })]);
  if (capabilities.count && count) ops.push(['count', () => count.call(store)]);
  if (capabilities.users && destroyByUser)
    ops.push(['destroyByUser', () => destroyByUser.call(store, 'nobody')]);
  if (capabilities.expiry === 'sweep' && clearExpired)
    ops.push(['clearExpired', () => clearExpired.call(store)]);
  if (capabilities.clear && clear) ops.push(['clear', () => clear.call(store)]);
  return ops;
}
