import { type Session, SessionManager, StoreUnavailableError } from '@sess/core';
import type { SessionCookieOptions } from '../cookie.js';
import type { GlueApp, GlueReply, GlueRequest } from './options.js';
import type { SuiteStore } from './store.js';

const REMEMBER_MS = 30 * 24 * 3_600_000;

/** A point a request stops at until the test lets it go on. */
export class Gate {
  readonly reached: Promise<void>;
  readonly #opened: Promise<void>;
  #reach!: () => void;
  #open!: () => void;

  constructor() {
    this.reached = new Promise((resolve) => {
      this.#reach = resolve;
    });
    this.#opened = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  /** Called by the request: signals it got here, waits to be let through. */
  pass(): Promise<void> {
    this.#reach();
    return this.#opened;
  }

  open(): void {
    this.#open();
  }
}

/** What a test's app knows and records. */
export class AppState {
  readonly manager: SessionManager;
  readonly gates = new Map<string, Gate>();
  /** Every error the framework's error handler was given. */
  readonly errors: unknown[] = [];

  constructor(readonly store: SuiteStore) {
    // "Remember me" may keep a session 30 days; the default stays a day's idle.
    this.manager = new SessionManager({
      store,
      maxIdleTimeoutMs: REMEMBER_MS,
      maxAbsoluteTimeoutMs: REMEMBER_MS,
    });
  }

  gate(name: string): Gate {
    let gate = this.gates.get(name);
    if (!gate) {
      gate = new Gate();
      this.gates.set(name, gate);
    }
    return gate;
  }

  app(options: { cookie?: SessionCookieOptions; trustProxy?: boolean } = {}): GlueApp {
    return {
      manager: this.manager,
      cookie: options.cookie ?? {},
      trustProxy: options.trustProxy ?? false,
      handle: (request) => this.#handle(request),
      errorReply: (error) => {
        this.errors.push(error);
        return error instanceof StoreUnavailableError
          ? { status: 503, body: 'The session store is unavailable.' }
          : { status: 500, body: 'Something went wrong.' };
      },
    };
  }

  /** The routes every test drives. */
  async #handle({ session, method, url }: GlueRequest): Promise<GlueReply> {
    const { pathname, searchParams } = new URL(url, 'http://glue.test');
    const param = (name: string) => searchParams.get(name) ?? '';
    const route = `${method.toUpperCase()} ${pathname}`;
    switch (route) {
      case 'GET /read':
        return { kind: 'json', body: describe(session) };
      case 'POST /set': {
        session.set(param('key'), param('value'));
        const hold = searchParams.get('hold');
        if (hold !== null) await this.gate(hold).pass();
        return { kind: 'json', body: describe(session) };
      }
      case 'POST /login': {
        session.regenerate();
        session.userId = param('user');
        const remember = searchParams.get('remember');
        if (remember === '1') {
          session.setLifetime({ idleTimeoutMs: REMEMBER_MS, absoluteTimeoutMs: REMEMBER_MS });
        } else if (remember === '0') {
          session.setLifetime({ persistent: false, idleTimeoutMs: 30 * 60_000 });
        }
        return { kind: 'redirect', location: '/read' };
      }
      case 'POST /logout':
        session.destroy();
        return { kind: 'redirect', location: '/read' };
      case 'POST /fail':
        session.set(param('key'), 'set by a request that failed');
        throw new Error('The route failed on purpose.');
      case 'GET /stream':
        session.set(param('key'), param('value'));
        return { kind: 'stream', chunks: ['one\n', 'two\n', 'three\n'] };
      default:
        throw new Error(`The glue conformance app has no route ${route}.`);
    }
  }
}

/** What `GET /read` answers. */
export interface SessionView {
  readonly id: string | null;
  readonly isNew: boolean;
  readonly userId: string | null;
  readonly data: Record<string, unknown>;
}

function describe(session: Session): SessionView {
  return {
    id: session.id ?? null,
    isNew: session.isNew,
    userId: session.userId ?? null,
    data: Object.fromEntries(session.keys().map((key) => [key, session.get(key)])),
  };
}
