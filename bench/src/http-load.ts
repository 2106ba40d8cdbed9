import autocannon, { type Request } from 'autocannon';

/**
 * HTTP load with sessions, through autocannon: every connection is one
 * visitor, who logs in (the response sets the session cookie), then sends
 * `steps` in order with that cookie, over and over.
 *
 * autocannon starts each connection's sequence afresh (cookie forgotten) once
 * it has sent every request in the list, so the list repeats `steps` until it
 * is `requestsPerLogin` long: one visitor in that many requests is new.
 */

export interface HttpStep {
  readonly method: 'GET' | 'POST';
  readonly path: string;
}

export interface HttpLoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly seconds: number;
  /** The request that starts a session; its Set-Cookie is sent with every step. */
  readonly login: HttpStep;
  /** What a visitor does once logged in, repeated. */
  readonly steps: readonly HttpStep[];
  /** Requests per visitor before a new one logs in. Default 200. */
  readonly requestsPerLogin?: number;
}

export interface HttpLoadResult {
  readonly requestsPerSec: number;
  /** Latency percentiles, in milliseconds. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  /** Connection errors and timeouts, plus responses other than 2xx. */
  readonly failures: number;
}

interface Visitor {
  cookie?: string;
}

function cookieOf(headers: Record<string, string | string[]>): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'set-cookie') continue;
    const first = Array.isArray(value) ? value[0] : value;
    // What a browser sends back: the name=value pair before the attributes.
    return first?.split(';')[0];
  }
  return undefined;
}

export async function httpLoad(options: HttpLoadOptions): Promise<HttpLoadResult> {
  const length = options.requestsPerLogin ?? 200;
  const withCookie = (request: Request, context: Visitor) =>
    context.cookie
      ? { ...request, headers: { ...request.headers, cookie: context.cookie } }
      : request;
  const requests: Request[] = [
    {
      ...options.login,
      onResponse: (_status, _body, context: Visitor, headers) => {
        const cookie = cookieOf(headers as Record<string, string | string[]>);
        if (cookie) context.cookie = cookie;
      },
    },
  ];
  for (let i = 1; i < length; i++) {
    const step = options.steps[(i - 1) % options.steps.length] as HttpStep;
    requests.push({ ...step, setupRequest: withCookie });
  }
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    requests,
  });
  return {
    requestsPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    failures: result.errors + result.timeouts + result.non2xx,
  };
}
