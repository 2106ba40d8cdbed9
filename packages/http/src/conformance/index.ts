/**
 * The sess glue conformance suite: checks a framework glue over real HTTP.
 * Like the store suite it imports no test runner: it registers its tests
 * through the runner's `test` function and asserts with `node:assert/strict`.
 *
 * @example
 * import { it } from 'vitest';
 * import { listenOnLoopback, runGlueConformance } from '@sess/http/conformance';
 *
 * runGlueConformance({
 *   test: it,
 *   start: async (app) => {
 *     const server = myFramework({ trustProxy: app.trustProxy });
 *     server.use(myGlue({ manager: app.manager, cookie: app.cookie }));
 *     server.all('*', async (req, res) => send(res, await app.handle({ session: req.session, method: req.method, url: req.url })));
 *     server.onError((error, req, res) => { const { status, body } = app.errorReply(error); res.status(status).send(body); });
 *     return listenOnLoopback(server.nodeServer());
 *   },
 * });
 */
import { InvalidOptionError } from '@sess/core';
import type { GlueConformanceOptions } from './options.js';
import { type GlueTest, glueTests, runGlueTest } from './tests.js';

export { listenOnLoopback } from './listen.js';
export type {
  GlueApp,
  GlueConformanceOptions,
  GlueReply,
  GlueRequest,
  RunningGlue,
} from './options.js';
export type { GlueTestName } from './tests.js';

/** The names of every test, in the order they run. */
export const glueTestNames = Object.keys(glueTests) as ReadonlyArray<keyof typeof glueTests>;

/** Registers every glue conformance test with the runner. */
export function runGlueConformance(options: GlueConformanceOptions): void {
  checkOptions(options);
  const skip: Partial<Record<string, string>> = options.skip ?? {};
  for (const [name, test] of Object.entries(glueTests) as Array<[string, GlueTest]>) {
    const reason = skip[name];
    if (reason === undefined) {
      options.test(name, () => runGlueTest(test, options));
    } else if (options.test.skip) {
      options.test.skip(`${name} (skipped: ${reason})`, async () => {});
    } else {
      // Still shown in the report, as skipped through the runner's context.
      options.test(name, async (context) => {
        const skipTest = (context as { skip?: unknown } | undefined)?.skip;
        if (typeof skipTest === 'function') skipTest.call(context, reason);
      });
    }
  }
}

const KNOWN_OPTIONS = new Set(['test', 'start', 'skip']);

function checkOptions(options: GlueConformanceOptions): void {
  if (typeof options?.test !== 'function') {
    throw new InvalidOptionError('runGlueConformance needs `test`: your runner’s it() or test().');
  }
  if (typeof options.start !== 'function') {
    throw new InvalidOptionError(
      'runGlueConformance needs `start(app)`, starting your server and resolving to { url, close }.',
    );
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new InvalidOptionError(`Unknown runGlueConformance option \`${key}\`.`);
    }
  }
  for (const name of Object.keys(options.skip ?? {})) {
    if (!(name in glueTests))
      throw new InvalidOptionError(`skip names an unknown test: "${name}".`);
  }
}
