import type { MemcachedDriver } from '../../src/index.js';

/**
 * Wraps a driver and counts its calls: each call is one round trip
 * (`prependAndTouch` sends its two commands in one). Without `prepend`, the
 * wrapper does not offer `prependAndTouch`, as a driver without it.
 */
export function countingDriver(inner: MemcachedDriver, { prepend = true } = {}) {
  const calls: string[] = [];
  const counted =
    <A extends unknown[], R>(name: string, call: (...args: A) => R) =>
    (...args: A): R => {
      calls.push(name);
      return call(...args);
    };
  const driver: MemcachedDriver = {
    get: counted('get', (key) => inner.get(key)),
    add: counted('add', (key, value, options) => inner.add(key, value, options)),
    cas: counted('cas', (key, value, options) => inner.cas(key, value, options)),
    delete: counted('delete', (key, options) => inner.delete(key, options)),
    close: () => inner.close(),
  };
  const prependAndTouch = inner.prependAndTouch?.bind(inner);
  if (prepend && prependAndTouch) {
    driver.prependAndTouch = counted('prependAndTouch', prependAndTouch);
  }
  return {
    driver,
    /** Calls made by `run`, in order. */
    async during(run: () => Promise<unknown>): Promise<string[]> {
      calls.length = 0;
      await run();
      return [...calls];
    },
  };
}
