import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

type Output = 'writeHead' | 'write' | 'end' | 'flushHeaders';
const OUTPUTS: readonly Output[] = ['writeHead', 'write', 'end', 'flushHeaders'];

/**
 * Holds back everything written to `response` until `commit` settles, so
 * that no byte leaves before the session is saved, whichever way the app
 * answers: `res.send`, `res.redirect`, a piped stream, `res.sendFile`, an
 * explicit `writeHead`, an error handler.
 *
 * The first output call (`writeHead`, `write`, `end` or `flushHeaders`)
 * starts `commit(status)`; it and every call after it are kept in order.
 * When `commit` returns undefined (nothing to save), output goes straight
 * through from the start.
 * When the commit resolves, its `Set-Cookie` (if any) joins the headers and
 * the calls are replayed; from then on output goes straight through. When it
 * rejects, the calls are dropped and `fail(error)` runs: the app's error path
 * answers instead, without the cookie.
 *
 * The methods are wrapped on the response object itself and never put back,
 * so wrappers installed later (compression, say) keep working.
 */
export function holdUntilCommitted(
  response: ServerResponse,
  commit: (status: number) => Promise<string | undefined> | undefined,
  fail: (error: unknown) => void,
): void {
  const original = {
    writeHead: response.writeHead,
    write: response.write,
    end: response.end,
    flushHeaders: response.flushHeaders,
  };
  let state: 'open' | 'holding' | 'through' = 'open';
  const held: Array<{ method: Output; args: unknown[] }> = [];

  const release = (setCookie: string | undefined) => {
    state = 'through';
    if (setCookie !== undefined) addSetCookie(response, held, setCookie);
    let backedUp = false;
    for (const { method, args } of held.splice(0)) {
      const result: unknown = (original[method] as (...a: unknown[]) => unknown).apply(
        response,
        args,
      );
      if (method === 'write') backedUp = result === false;
    }
    // Held writes answered false; a writer waiting for 'drain' must hear it.
    if (!backedUp && !response.writableEnded) response.emit('drain');
  };

  for (const method of OUTPUTS) {
    // biome-ignore lint/suspicious/noExplicitAny: the wrapper stands in for four signatures.
    (response as any)[method] = function holdOrPass(this: ServerResponse, ...args: unknown[]) {
      if (state === 'through') {
        return (original[method] as (...a: unknown[]) => unknown).apply(this, args);
      }
      if (state === 'open') {
        const status = method === 'writeHead' ? Number(args[0]) : response.statusCode;
        const committing = commit(status);
        if (committing === undefined) {
          // Nothing to save: the response goes out at once.
          state = 'through';
          return (original[method] as (...a: unknown[]) => unknown).apply(this, args);
        }
        state = 'holding';
        committing.then(release, (error: unknown) => {
          state = 'through';
          held.length = 0;
          fail(error);
        });
      }
      held.push({ method, args });
      if (method === 'write') return false;
      return method === 'flushHeaders' ? undefined : this;
    };
  }
}

/**
 * Adds the cookie to the headers the replay will send. `writeHead(status,
 * headers)` replaces headers set earlier under the same name, so a
 * `Set-Cookie` in its own headers argument gets the cookie appended there.
 */
function addSetCookie(
  response: ServerResponse,
  held: Array<{ method: Output; args: unknown[] }>,
  value: string,
): void {
  const head = held.find((call) => call.method === 'writeHead');
  const index = head ? head.args.findIndex((arg) => typeof arg === 'object' && arg !== null) : -1;
  if (head && index !== -1) {
    const headers = head.args[index];
    if (Array.isArray(headers)) {
      head.args[index] = [...headers, 'set-cookie', value];
      return;
    }
    const record = headers as OutgoingHttpHeaders;
    const key = Object.keys(record).find((name) => name.toLowerCase() === 'set-cookie');
    if (key !== undefined) {
      const existing = record[key];
      const list = Array.isArray(existing)
        ? existing
        : existing === undefined
          ? []
          : [String(existing)];
      head.args[index] = { ...record, [key]: [...list, value] };
      return;
    }
  }
  response.appendHeader('set-cookie', value);
}
