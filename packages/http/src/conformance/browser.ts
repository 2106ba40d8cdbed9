import { parseSetCookie, type SetCookie } from 'cookie';

/** One answer, with its headers read and its body not yet. */
export interface Answer {
  readonly status: number;
  readonly response: Response;
  /** Every `Set-Cookie` of the response, parsed. */
  readonly setCookies: SetCookie[];
  /** The `Set-Cookie`s naming `name`. */
  cookiesNamed(name: string): SetCookie[];
}

export interface SendOptions {
  readonly headers?: Record<string, string>;
  /** Sent as the `Cookie` header instead of the jar's cookies. */
  readonly cookieHeader?: string;
  /** Runs the moment the headers arrive, before the body is read; awaited with it. */
  readonly onHeaders?: (answer: Answer) => Promise<unknown>;
}

/**
 * A browser as small as the suite needs: a cookie jar over `fetch`, with
 * redirects left to the test. A cookie cleared or already expired leaves the
 * jar.
 */
export class Browser {
  readonly #base: string;
  readonly cookies = new Map<string, string>();

  constructor(base: string) {
    this.#base = base;
  }

  /** Sends a request, applies its `Set-Cookie`s, reads its body. */
  async send(
    method: 'GET' | 'POST',
    path: string,
    options: SendOptions = {},
  ): Promise<Answer & { readonly body: string }> {
    const headers = new Headers(options.headers);
    const cookie =
      options.cookieHeader ??
      [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(new URL(path, this.#base), {
      method,
      headers,
      redirect: 'manual',
    });
    const setCookies = response.headers.getSetCookie().map((header) => parseSetCookie(header));
    const answer: Answer = {
      status: response.status,
      response,
      setCookies,
      cookiesNamed: (name) => setCookies.filter((c) => c.name === name),
    };
    for (const set of setCookies) this.#apply(set);
    const [body] = await Promise.all([response.text(), options.onHeaders?.(answer)]);
    return { ...answer, body };
  }

  /** `send`, then the body parsed as JSON. */
  async json<T = unknown>(method: 'GET' | 'POST', path: string, options: SendOptions = {}) {
    const answer = await this.send(method, path, options);
    return { ...answer, json: JSON.parse(answer.body) as T };
  }

  #apply(set: SetCookie): void {
    const expired =
      (set.maxAge !== undefined && set.maxAge <= 0) ||
      (set.expires !== undefined && set.expires.getTime() <= Date.now());
    if (expired || !set.value) this.cookies.delete(set.name);
    else this.cookies.set(set.name, set.value);
  }
}
