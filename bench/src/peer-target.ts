import type { BenchTarget } from './target.js';

type Callback<T = unknown> = (error?: unknown, value?: T) => void;

/** The part of express-session's `Store` API the bench drives. */
export interface ExpressSessionStore {
  get(sid: string, callback: Callback): void;
  set(sid: string, session: never, callback: Callback): void;
  touch?(sid: string, session: never, callback: Callback): void;
  destroy(sid: string, callback: Callback): void;
}

/** An express-session session: the cookie carries the expiry, in the forms stores read it. */
function sessionOf(data: string, expiresAt: number) {
  const maxAge = expiresAt - Date.now();
  return {
    cookie: {
      expires: new Date(expiresAt),
      maxAge,
      originalMaxAge: maxAge,
      httpOnly: true,
      path: '/',
    },
    data,
  };
}

/**
 * A peer session store through express-session's callback API, driven as
 * express-session drives it: `set` and `touch` get the whole session, so the
 * last one written is kept per id and handed to `touch`.
 */
export function expressSessionTarget(
  name: string,
  store: ExpressSessionStore,
  close: () => Promise<void> = async () => {},
): BenchTarget {
  const sessions = new Map<string, ReturnType<typeof sessionOf>>();
  const call = (run: (done: Callback) => void) =>
    new Promise<unknown>((resolve, reject) =>
      run((error, value) => (error ? reject(error) : resolve(value))),
    );
  const write = (id: string, data: string, expiresAt: number) => {
    const session = sessionOf(data, expiresAt);
    sessions.set(id, session);
    return call((done) => store.set(id, session as never, done));
  };
  return {
    name,
    role: 'peer',
    create: write,
    update: write,
    get: (id) => call((done) => store.get(id, done)),
    touch: (id, expiresAt) => {
      const session = sessionOf(sessions.get(id)?.data ?? '', expiresAt);
      sessions.set(id, session);
      const touch = store.touch ?? store.set;
      return call((done) => touch.call(store, id, session as never, done));
    },
    destroy: (id) => {
      sessions.delete(id);
      return call((done) => store.destroy(id, done));
    },
    close,
  };
}
