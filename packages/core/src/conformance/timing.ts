import { AssertionError } from 'node:assert/strict';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` until it holds; fails the test after `timeoutMs`. */
export async function eventually(
  condition: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() >= deadline) {
      throw new AssertionError({ message: `Timed out after ${timeoutMs} ms waiting for ${what}.` });
    }
    await sleep(intervalMs);
  }
}

/**
 * Settles `promise` or fails the test after `ms`: a store operation that
 * never settles must fail the rule it breaks, not hang the run.
 */
export async function settleWithin<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<PromiseSettledResult<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AssertionError({ message: `${what} did not settle within ${ms} ms.` })),
      ms,
    );
  });
  try {
    return await Promise.race([
      promise.then(
        (value): PromiseSettledResult<T> => ({ status: 'fulfilled', value }),
        (reason: unknown): PromiseSettledResult<T> => ({ status: 'rejected', reason }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
