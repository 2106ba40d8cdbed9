import { SessionStoreError, StoreUnavailableError } from '../errors.js';

/**
 * Bounds a backend call: rejects with `StoreUnavailableError` after `ms`.
 * Any other failure of the call is wrapped the same way (the original stays
 * in `cause`), except errors sess raised itself, which pass through.
 *
 * The late outcome of a call that timed out is consumed, so it can never
 * become an unhandled rejection.
 *
 * @example
 * const value = await withTimeout(client.get(key), 500, 'redis GET');
 */
export function withTimeout<T>(call: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new StoreUnavailableError(`${what} did not answer within ${ms} ms.`));
    }, ms);
    call.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(asUnavailable(error, what));
      },
    );
  });
}

/**
 * Wraps a backend failure in `StoreUnavailableError`, keeping it as `cause`;
 * sess errors pass through.
 *
 * @example
 * client.query(sql).catch((error) => { throw asUnavailable(error, 'SQL get'); });
 */
export function asUnavailable(error: unknown, what: string): Error {
  if (error instanceof SessionStoreError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new StoreUnavailableError(`${what} failed: ${reason}`, { cause: error });
}
