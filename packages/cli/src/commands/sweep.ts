import type { SqlStore } from '@sess/sql';
import type { StoreBackend } from '@sess/url';
import { type CliIo, formatCount, UsageError } from '../io.js';
import { withStore } from '../open.js';
import { startProgress } from '../progress.js';

function quoted(backend: StoreBackend & { kind: 'sql' }): string {
  const q = (name: string) => (backend.dialect === 'mysql' ? `\`${name}\`` : `"${name}"`);
  return backend.schema ? `${q(backend.schema)}.${q(backend.table)}` : q(backend.table);
}

/**
 * `sess sweep <url>`: removes expired sessions of an `expiry: 'sweep'` store.
 * SQL stores sweep in batches under the table's advisory lock (the lock
 * `SqlStore.sweep()` and `sess-sql sweep` take, so one sweeper runs at a
 * time); Ctrl-C stops after the batch under way.
 */
export function sweep(
  io: CliIo,
  spec: string,
  options: { batch?: number | undefined; json: boolean },
): Promise<void> {
  return withStore(
    io,
    spec,
    options.batch === undefined ? {} : { sweepBatchSize: options.batch },
    async ({ store, backend, url }) => {
      if (store.capabilities.expiry !== 'sweep' || !store.clearExpired) {
        throw new UsageError(
          `${url.description} expires sessions by itself (expiry: native): there is nothing to sweep.`,
        );
      }
      const started = performance.now();
      let deleted: number;
      let skipped = false;
      if (backend.kind === 'sql') {
        const [row] = await backend.query(
          `SELECT COUNT(*) AS n FROM ${quoted(backend)} WHERE expires_at <= ?`,
          [Date.now()],
        );
        const progress = startProgress(io, 'sweep', Number(row?.n ?? 0), 'expired');
        const report = await (store as SqlStore).sweep({
          onBatch: (done) => progress.update(done),
          ...(io.signal ? { signal: io.signal } : {}),
        });
        progress.stop();
        deleted = report.deleted;
        skipped = report.skipped === true;
      } else {
        deleted = await store.clearExpired();
      }
      const durationMs = Math.round(performance.now() - started);
      const interrupted = io.signal?.aborted === true;
      if (options.json) {
        io.out(
          JSON.stringify({ store: url.description, deleted, skipped, interrupted, durationMs }),
        );
      } else if (skipped) {
        io.out(`skipped: another sweeper holds the lock on ${url.description}`);
      } else {
        io.out(
          `deleted ${formatCount(deleted)} expired sessions in ${formatCount(durationMs)} ms${interrupted ? ' (interrupted; run again to finish)' : ''}`,
        );
      }
    },
  );
}
