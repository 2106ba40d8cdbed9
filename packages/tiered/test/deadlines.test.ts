import assert from 'node:assert/strict';
import { StoreUnavailableError } from '@sess/core';
import { describe, it } from 'vitest';
import { Deadlines } from '../src/deadlines.js';

const same = <T>(value: T) => value;
const rethrow = (error: Error): never => {
  throw error;
};

describe('Deadlines', () => {
  it('gives a call up once its deadline has passed, and consumes its late outcome', async () => {
    const deadlines = new Deadlines(5);
    let fail!: (error: Error) => void;
    const hung = new Promise<string>((_, reject) => {
      fail = reject;
    });
    const bounded = deadlines.bound(hung, deadlines.now() + 20, 'a call', same, rethrow);
    await assert.rejects(bounded, StoreUnavailableError);
    fail(new Error('too late')); // must not surface as an unhandled rejection
    deadlines.stop();
  });

  it('maps an answer in time, and a failure to StoreUnavailableError', async () => {
    const deadlines = new Deadlines(5);
    const at = deadlines.now() + 10_000;
    assert.equal(await deadlines.bound(Promise.resolve(2), at, 'a call', (n) => n * 2, rethrow), 4);
    await assert.rejects(
      deadlines.bound(Promise.reject(new Error('refused')), at, 'a call', same, rethrow),
      StoreUnavailableError,
    );
    assert.equal(
      await deadlines.bound(Promise.reject(new Error('x')), at, 'a call', same, () => 'fallback'),
      'fallback',
    );
    deadlines.stop();
  });

  it('does not count time the process spent not running against a call', async () => {
    const deadlines = new Deadlines(5);
    let answer!: (value: string) => void;
    const call = new Promise<string>((resolve) => {
      answer = resolve;
    });
    const bounded = deadlines.bound(call, deadlines.now() + 50, 'a call', same, rethrow);
    // The answer comes 10 ms in (after the timer's first tick is due), but the
    // process is busy for four times the deadline: the tick runs late, first.
    setTimeout(() => answer('answered'), 10);
    const busyUntil = performance.now() + 200;
    while (performance.now() < busyUntil) {
      // a long synchronous task: no timer and no I/O callback runs meanwhile
    }
    assert.equal(await bounded, 'answered');
    deadlines.stop();
  });

  it('stop gives up every call still waiting', async () => {
    const deadlines = new Deadlines(5);
    const bounded = deadlines.bound(
      new Promise(() => {}),
      deadlines.now() + 60_000,
      'a call',
      same,
      rethrow,
    );
    deadlines.stop();
    await assert.rejects(bounded, StoreUnavailableError);
  });
});
