import { InvalidOptionError } from '@sess/core';

/** A Node-style callback, as express-session passes to its store. */
export type Callback<T> = (error: unknown, value?: T) => void;

/**
 * Answers through the callback when there is one, else through the promise.
 *
 * express-session and its wrappers pass a callback and ignore what the method
 * returns, so with a callback the work's failure goes to the callback only
 * (never an unhandled rejection), and the callback runs on its own turn of
 * the event loop: an exception it throws surfaces as it would from any
 * callback API, instead of turning into a rejection nobody handles. The turn
 * is a `setImmediate`, as express-session's own MemoryStore defers: over HTTP
 * that measured about a fifth less CPU per request than a `nextTick`.
 */
export function answer<T>(
  work: Promise<T>,
  callback: Callback<T> | undefined,
): Promise<T> | undefined {
  if (callback === undefined) return work;
  if (typeof callback !== 'function') {
    throw new InvalidOptionError('The last argument, when given, must be a callback function.');
  }
  void work.then(
    (value) => setImmediate(callback, null, value),
    (error: unknown) => setImmediate(callback, error),
  );
  return undefined;
}
