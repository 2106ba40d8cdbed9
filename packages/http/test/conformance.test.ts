import assert from 'node:assert/strict';
import { InvalidOptionError } from '@sess/core';
import { describe, expect, it } from 'vitest';
import { type GlueTestName, glueTestNames, runGlueConformance } from '../src/conformance/index.js';
import { glueTests, runGlueTest } from '../src/conformance/tests.js';
import { type GlueFault, startNodeGlue } from './support/node-glue.js';

describe('a node:http glue on SessionHttp', () => {
  runGlueConformance({ test: it, start: (app) => startNodeGlue(app) });
});

const brokenGlues: Array<{ fault: GlueFault; caughtBy: GlueTestName }> = [
  {
    fault: 'commits after the response is sent',
    caughtBy:
      'login: the follow-up of its redirect, sent the moment the headers arrive, sees the login (writes take 50 ms)',
  },
  {
    fault: 'commits after the response is sent',
    caughtBy:
      'stream: a streamed body carries the cookie, committed before its first byte (writes take 50 ms)',
  },
  {
    fault: 'commits the session of a failed request',
    caughtBy: 'errors: a request that failed before the commit sends no cookie and saves nothing',
  },
  {
    fault: 'trusts X-Forwarded-Proto without being told to',
    caughtBy: 'proxy: Secure behind a trusted proxy, and X-Forwarded-Proto ignored without trust',
  },
  {
    fault: 'lets the first of two session cookies win',
    caughtBy:
      'bad cookie: two different session cookies give a fresh session; one sent twice is that session',
  },
  {
    fault: 'answers 200 with a fresh session when the store is down',
    caughtBy: 'outage: the store down while loading gives the error path (503) and no cookie',
  },
  {
    fault: 'answers 200 with a fresh session when the store is down',
    caughtBy: 'outage: the store down while committing gives the error path (503) and no cookie',
  },
  {
    fault: 'ignores its cookie options',
    caughtBy: 'cookie: the options given to the glue reach the cookie',
  },
  {
    fault: 'sends the cookie twice',
    caughtBy:
      'cookie: the first write sets it once, HttpOnly, SameSite=Lax, Path=/, expiring with the stored session',
  },
];

describe('the glue conformance suite fails every broken glue', () => {
  for (const { fault, caughtBy } of brokenGlues) {
    it(`${fault}: fails "${caughtBy}"`, async () => {
      const options = {
        test: it,
        start: (app: Parameters<typeof startNodeGlue>[0]) => startNodeGlue(app, new Set([fault])),
      };
      await assert.rejects(runGlueTest(glueTests[caughtBy], options), assert.AssertionError);
    });
  }
});

describe('runGlueConformance', () => {
  it('refuses a missing test or start, unknown options and unknown skips', () => {
    const start = () => Promise.reject(new Error('not started'));
    expect(() => runGlueConformance({ start } as never)).toThrow(InvalidOptionError);
    expect(() => runGlueConformance({ test: it } as never)).toThrow(InvalidOptionError);
    expect(() => runGlueConformance({ test: it, start, faults: {} } as never)).toThrow(
      InvalidOptionError,
    );
    expect(() =>
      runGlueConformance({ test: it, start, skip: { 'no such test': 'why' } as never }),
    ).toThrow(InvalidOptionError);
  });

  it('registers a skipped test under its name with the reason', () => {
    const registered: string[] = [];
    const skipped: string[] = [];
    const test = Object.assign((name: string) => registered.push(name), {
      skip: (name: string) => skipped.push(name),
    });
    const [first] = glueTestNames;
    assert.ok(first);
    runGlueConformance({ test, start: startNodeGlue, skip: { [first]: 'not here' } });
    assert.deepEqual(skipped, [`${first} (skipped: not here)`]);
    assert.equal(registered.length, glueTestNames.length - 1);
  });
});
