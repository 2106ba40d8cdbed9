import { inspect } from 'node:util';
import {
  defaultSessionCodec,
  readEnvelope,
  type SessionStore,
  type StoreCapabilities,
  type StoredSession,
  UnsupportedOperationError,
} from '@sess/core';
import { assertSessionId } from '@sess/core/store-kit';
import { type CliIo, formatCount } from '../io.js';
import { withStore } from '../open.js';
import { startProgress } from '../progress.js';
import { scanRecords } from '../scan.js';

const HOUR_MS = 3_600_000;
const READS_IN_FLIGHT = 64;

function needs(store: SessionStore, what: keyof StoreCapabilities, command: string): void {
  if (!store.capabilities[what]) {
    throw new UnsupportedOperationError(
      `This store cannot ${command} (its capabilities do not include ${what}).`,
    );
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function when(expiresAt: number, now: number): string {
  const minutes = Math.round((expiresAt - now) / 60_000);
  const relative = minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`;
  return `${new Date(expiresAt).toISOString()} (in ${relative})`;
}

/** `sess stats <url>`: live count, expiring within the hour, sizes, capabilities. */
export function stats(io: CliIo, spec: string, json: boolean): Promise<void> {
  return withStore(io, spec, {}, async ({ store, url }) => {
    const capabilities = store.capabilities;
    if (!capabilities.list) {
      if (json) io.out(JSON.stringify({ store: url.description, capabilities, live: null }));
      else {
        io.out(`store         ${url.description}`);
        io.out(`capabilities  ${describeCapabilities(capabilities)}`);
        io.out('live          unknown: this store cannot list or count its sessions');
      }
      return;
    }
    const total = capabilities.count ? await store.count?.() : undefined;
    const progress = startProgress(io, 'stats', total, 'sessions');
    const now = Date.now();
    const sizes: number[] = [];
    const users = new Set<string>();
    let withinHour = 0;
    for await (const page of scanRecords(store, {
      pageSize: 1_000,
      concurrency: READS_IN_FLIGHT,
      signal: io.signal,
    })) {
      for (const [, record] of page.records) {
        sizes.push(Buffer.byteLength(record.data));
        if (record.expiresAt <= now + HOUR_MS) withinHour++;
        if (record.userId !== undefined) users.add(record.userId);
      }
      progress.update(sizes.length);
    }
    progress.stop();
    sizes.sort((a, b) => a - b);
    const bytes = sizes.reduce((sum, n) => sum + n, 0);
    const summary = {
      store: url.description,
      live: sizes.length,
      expiringWithinHour: withinHour,
      users: capabilities.users ? users.size : null,
      sizeBytes: {
        total: bytes,
        p50: percentile(sizes, 50),
        p90: percentile(sizes, 90),
        p99: percentile(sizes, 99),
        max: sizes.at(-1) ?? 0,
      },
      capabilities,
    };
    if (json) {
      io.out(JSON.stringify(summary));
      return;
    }
    io.out(`store         ${url.description}`);
    io.out(`live          ${formatCount(summary.live)}`);
    io.out(`within 1 h    ${formatCount(withinHour)} will expire`);
    if (summary.users !== null) io.out(`users         ${formatCount(summary.users)}`);
    io.out(
      `size (bytes)  p50 ${formatCount(summary.sizeBytes.p50)}, p90 ${formatCount(summary.sizeBytes.p90)}, p99 ${formatCount(summary.sizeBytes.p99)}, max ${formatCount(summary.sizeBytes.max)}, total ${formatCount(bytes)}`,
    );
    io.out(`capabilities  ${describeCapabilities(capabilities)}`);
  });
}

function describeCapabilities(c: StoreCapabilities): string {
  const flags = (['list', 'count', 'users', 'clear'] as const).filter((name) => c[name]);
  return [
    `expiry ${c.expiry}`,
    ...flags,
    `ttl resolution ${c.ttlResolutionMs} ms`,
    `max payload ${formatCount(c.maxPayloadBytes)} bytes`,
    ...(c.operationTimeoutMs === undefined ? [] : [`timeout ${c.operationTimeoutMs} ms`]),
  ].join(', ');
}

/** `sess list <url> [--user U] [--limit N]`. */
export function list(
  io: CliIo,
  spec: string,
  options: { userId?: string | undefined; limit: number; json: boolean },
): Promise<void> {
  return withStore(io, spec, {}, async ({ store }) => {
    needs(store, 'list', 'list sessions');
    if (options.userId !== undefined) needs(store, 'users', 'list sessions by user');
    const rows: Array<{ id: string; expiresAt: number; userId: string | null; bytes: number }> = [];
    for await (const page of scanRecords(store, {
      pageSize: Math.min(options.limit, 1_000),
      concurrency: READS_IN_FLIGHT,
      signal: io.signal,
      ...(options.userId === undefined ? {} : { userId: options.userId }),
    })) {
      for (const [id, record] of page.records) {
        if (rows.length >= options.limit) break;
        rows.push({
          id,
          expiresAt: record.expiresAt,
          userId: record.userId ?? null,
          bytes: Buffer.byteLength(record.data),
        });
      }
      if (rows.length >= options.limit) break;
    }
    if (options.json) {
      io.out(JSON.stringify(rows));
      return;
    }
    const now = Date.now();
    for (const row of rows) {
      io.out(
        `${row.id}  ${when(row.expiresAt, now)}  ${row.userId ?? '-'}  ${formatCount(row.bytes)} B`,
      );
    }
    io.err(`${formatCount(rows.length)} session${rows.length === 1 ? '' : 's'}`);
  });
}

/** What a value is, without what it holds. */
function masked(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array of ${value.length}`;
  if (value instanceof Date) return 'date';
  if (value instanceof Map) return `map of ${value.size}`;
  if (value instanceof Set) return `set of ${value.size}`;
  if (typeof value === 'string') return `string of ${value.length} characters`;
  if (typeof value === 'object') return `object with ${Object.keys(value).length} keys`;
  return typeof value;
}

function decoded(
  record: StoredSession,
):
  | { format: string; createdAt: number; absoluteExpiresAt: number; data: Record<string, unknown> }
  | { error: string } {
  try {
    const envelope = readEnvelope(record.data);
    const data = defaultSessionCodec.decode(envelope.payload, envelope.format);
    return { ...envelope, data: data as Record<string, unknown> };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** `sess show <url> <id>`: the record, its values masked unless `reveal`. */
export function show(
  io: CliIo,
  spec: string,
  id: string,
  options: { reveal: boolean; json: boolean },
): Promise<void> {
  assertSessionId(id);
  return withStore(io, spec, {}, async ({ store }) => {
    const record = await store.get(id);
    if (!record) {
      throw new NotFound(`No live session with that id in this store.`);
    }
    const view = decoded(record);
    const bytes = Buffer.byteLength(record.data);
    const data =
      'data' in view
        ? Object.fromEntries(
            Object.entries(view.data).map(([key, value]) => [
              key,
              options.reveal ? value : masked(value),
            ]),
          )
        : undefined;
    if (options.json) {
      io.out(
        JSON.stringify(
          {
            id,
            userId: record.userId ?? null,
            expiresAt: record.expiresAt,
            version: record.version,
            bytes,
            ...('data' in view
              ? {
                  format: view.format,
                  createdAt: view.createdAt,
                  absoluteExpiresAt: view.absoluteExpiresAt,
                  data,
                  masked: !options.reveal,
                }
              : { unreadable: view.error }),
          },
          (_key, value: unknown) =>
            typeof value === 'bigint'
              ? value.toString()
              : value instanceof Map
                ? Object.fromEntries(value)
                : value instanceof Set
                  ? [...value]
                  : value,
        ),
      );
      return;
    }
    const now = Date.now();
    io.out(`id        ${id}`);
    io.out(`user      ${record.userId ?? '-'}`);
    io.out(`expires   ${when(record.expiresAt, now)}`);
    io.out(`version   ${record.version}`);
    io.out(`size      ${formatCount(bytes)} bytes`);
    if (!('data' in view)) {
      io.out(`data      unreadable: ${view.error}`);
      return;
    }
    io.out(`created   ${new Date(view.createdAt).toISOString()}`);
    io.out(`absolute  ${new Date(view.absoluteExpiresAt).toISOString()}`);
    io.out(`data      ${options.reveal ? '' : '(values masked; --reveal shows them)'}`);
    const width = Math.max(0, ...Object.keys(data ?? {}).map((key) => key.length));
    for (const [key, value] of Object.entries(data ?? {})) {
      const shown = options.reveal
        ? inspect(value, { depth: 4, breakLength: Number.POSITIVE_INFINITY })
        : String(value);
      io.out(`  ${key.padEnd(width)}  ${shown}`);
    }
  });
}

/** A command that looked for a session and found none: exit status 1. */
export class NotFound extends Error {
  override readonly name = 'NotFound';
}

/** `sess destroy <url> <id>`. */
export function destroy(io: CliIo, spec: string, id: string, json: boolean): Promise<void> {
  assertSessionId(id);
  return withStore(io, spec, {}, async ({ store }) => {
    const existed = (await store.get(id)) !== null;
    await store.destroy(id);
    if (json) io.out(JSON.stringify({ id, destroyed: existed }));
    else io.out(existed ? `destroyed ${id}` : `no live session ${id}; nothing to destroy`);
  });
}

/** `sess logout-user <url> <userId> [--except id]`. */
export function logoutUser(
  io: CliIo,
  spec: string,
  userId: string,
  options: { except?: string | undefined; json: boolean },
): Promise<void> {
  if (options.except !== undefined) assertSessionId(options.except);
  return withStore(io, spec, {}, async ({ store }) => {
    needs(store, 'users', 'log a user out (no per-user index)');
    const destroyed =
      (await store.destroyByUser?.(
        userId,
        options.except === undefined ? {} : { except: options.except },
      )) ?? 0;
    if (options.json) io.out(JSON.stringify({ destroyed }));
    else io.out(`destroyed ${formatCount(destroyed)} session${destroyed === 1 ? '' : 's'}`);
  });
}
