import assert from 'node:assert/strict';

/** Collects unhandled rejections and uncaught exceptions until `stop`, which asserts there were none. */
export function watchProcess(): { stop(): Promise<void> } {
  const seen: unknown[] = [];
  const record = (error: unknown) => seen.push(error);
  process.on('unhandledRejection', record);
  process.on('uncaughtException', record);
  return {
    async stop() {
      // Rejections are reported after the microtask queue drains.
      await new Promise((resolve) => setImmediate(resolve));
      process.off('unhandledRejection', record);
      process.off('uncaughtException', record);
      assert.deepEqual(seen.map(String), [], 'unhandled rejections or uncaught exceptions');
    },
  };
}

/** Polls `condition` until it holds; fails after `timeoutMs`. */
export async function eventually(
  condition: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    assert.ok(Date.now() < deadline, `timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The bound an operation must meet: its declared timeout plus slack, scaled for slow machines. */
export function boundOf(operationTimeoutMs: number | undefined): number {
  const scale = Number(process.env.SESS_CONFORMANCE_TIME_SCALE) || 1;
  assert.ok(operationTimeoutMs !== undefined);
  return operationTimeoutMs + 250 * scale;
}

/** Runs `call`, asserting it settles within `bound` ms; returns its result. */
export async function within<T>(bound: number, what: string, call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await call();
  const elapsed = performance.now() - started;
  assert.ok(elapsed <= bound, `${what} took ${Math.round(elapsed)} ms; the bound is ${bound} ms`);
  return result;
}
