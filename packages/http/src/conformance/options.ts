import type { Session, SessionManager } from '@sess/core';
import type { ConformanceTestFunction } from '@sess/core/conformance';
import type { SessionCookieOptions } from '../cookie.js';
import type { GlueTestName } from './tests.js';

/**
 * The app each test runs in your framework, with your glue. Mount it once,
 * the same way for every test:
 *
 * 1. build your glue from `manager` and `cookie`;
 * 2. when `trustProxy` is true, make the framework trust `X-Forwarded-Proto`
 *    from the loopback address the suite connects from (Express:
 *    `app.set('trust proxy', 'loopback')`, Fastify: `trustProxy: true`);
 *    leave it off otherwise;
 * 3. answer every method and path with `handle`, and send its reply the
 *    framework's usual way (see `GlueReply`); pass what it throws to the
 *    framework's error path;
 * 4. in the framework's error handler, send what `errorReply(error)` returns.
 */
export interface GlueApp {
  /** A fresh manager on a fresh store, for this test only. */
  readonly manager: SessionManager;
  /** The glue's cookie options, as your users would pass them. */
  readonly cookie: SessionCookieOptions;
  /** Trust `X-Forwarded-Proto` from loopback proxies. */
  readonly trustProxy: boolean;
  /** The app's routes. `url` is the request's path and query (a full URL is fine too). */
  handle(request: GlueRequest): Promise<GlueReply>;
  /** What the framework's error handler sends: 503 for `StoreUnavailableError`, else 500. */
  errorReply(error: unknown): { readonly status: number; readonly body: string };
}

/** What `handle` needs of a request. */
export interface GlueRequest {
  /** The session your glue put on the request: the manager's own `Session`. */
  readonly session: Session;
  readonly method: string;
  readonly url: string;
}

/**
 * How to answer, in your framework's usual way:
 * - `json`: status 200, `body` as JSON (Express `res.json`, Fastify `reply.send`, Hono `c.json`);
 * - `redirect`: status 303 to `location` (`res.redirect(303, …)`, `reply.redirect(…, 303)`, `c.redirect(…, 303)`);
 * - `stream`: status 200, `text/plain`, the `chunks` written one by one as a
 *   streamed body (a `Readable` piped or sent, a `ReadableStream`).
 */
export type GlueReply =
  | { readonly kind: 'json'; readonly body: unknown }
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'stream'; readonly chunks: readonly string[] };

/** A server your `start` started. */
export interface RunningGlue {
  /** Its base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Stops it, idle keep-alive connections included. */
  close(): Promise<void>;
}

export interface GlueConformanceOptions {
  /** The runner's test function (`it`, `test`). */
  readonly test: ConformanceTestFunction;
  /** Starts your framework's server around `app`, on a free loopback port. Called for every test. */
  readonly start: (app: GlueApp) => Promise<RunningGlue>;
  /** Tests to skip, each with the reason, shown in the report. */
  readonly skip?: Partial<Record<GlueTestName, string>>;
}
