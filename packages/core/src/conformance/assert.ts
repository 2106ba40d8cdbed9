import assert from 'node:assert/strict';
import type { StoredSession, WriteFailure, WriteResult } from '../contract.js';
import type { SessionErrorCode } from '../errors.js';

/** Asserts a successful write and returns its version. */
export function expectOk(result: WriteResult, what: string): string {
  assert.ok(result.ok, `${what}: expected { ok: true }, got ${JSON.stringify(result)}.`);
  assert.equal(typeof result.version, 'string', `${what}: the version must be a string.`);
  assert.ok(result.version.length > 0, `${what}: the version must not be empty.`);
  return result.version;
}

/** Asserts a refused write with the given reason. */
export function expectRefused(result: WriteResult, reason: WriteFailure, what: string): void {
  assert.deepEqual(
    result,
    { ok: false, reason },
    `${what}: expected { ok: false, reason: '${reason}' }.`,
  );
}

/** Asserts that `call` rejects (not throws synchronously) with a sess error of `code`. */
export async function rejectsWithCode(
  call: () => Promise<unknown>,
  code: SessionErrorCode,
  what: string,
): Promise<void> {
  let promise: Promise<unknown>;
  try {
    promise = call();
  } catch (error) {
    assert.fail(`${what}: threw synchronously (${String(error)}); store methods must reject.`);
  }
  await assert.rejects(
    promise,
    (error: unknown) => {
      assert.ok(error instanceof Error, `${what}: rejected with a non-Error: ${String(error)}.`);
      assert.equal(
        (error as { code?: unknown }).code,
        code,
        `${what}: wrong error: ${error.stack}`,
      );
      return true;
    },
    `${what}: expected a rejection with code ${code}.`,
  );
}

export interface ExpectedRecord {
  data: string;
  expiresAt: number;
  userId?: string | undefined;
  version?: string;
}

/** Asserts that a read returned this record; expiry compared within the store's resolution. */
export function expectRecord(
  actual: StoredSession | null,
  expected: ExpectedRecord,
  resolutionMs: number,
  what: string,
): void {
  assert.ok(actual, `${what}: expected a record, got null.`);
  assert.equal(actual.data, expected.data, `${what}: data differs.`);
  assert.equal(actual.userId, expected.userId, `${what}: userId differs.`);
  if (expected.version !== undefined) {
    assert.equal(actual.version, expected.version, `${what}: version differs.`);
  }
  const drift = Math.abs(actual.expiresAt - expected.expiresAt);
  assert.ok(
    drift <= resolutionMs,
    `${what}: expiresAt is ${actual.expiresAt}, expected ${expected.expiresAt} (± ${resolutionMs} ms).`,
  );
}

/** Runs `count` copies of `operation` at once and returns their results in order. */
export function concurrently<T>(
  count: number,
  operation: (index: number) => Promise<T>,
): Promise<T[]> {
  return Promise.all(Array.from({ length: count }, (_, index) => operation(index)));
}
