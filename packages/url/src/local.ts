import { stat } from 'node:fs/promises';
import { InvalidOptionError, MemoryStore } from '@sess/core';
import type * as File from '@sess/file';
import { load } from './adapters.js';
import type { StoreUrl } from './parse.js';
import type { Opened, OpenStoreOptions } from './types.js';

/** `memory:`: a `MemoryStore`, for tests and single-process apps. */
export function openMemory(url: StoreUrl): Opened {
  const { maxPayloadBytes } = url.options;
  const store = new MemoryStore(maxPayloadBytes === undefined ? {} : { maxPayloadBytes });
  return { store, backend: { kind: 'memory' }, close: () => store.close() };
}

/** `file:./sessions`: a `FileStore` on that directory. */
export async function openFile(
  url: StoreUrl,
  options: OpenStoreOptions,
  timeoutMs: number,
): Promise<Opened> {
  const { FileStore } = await load<typeof File>('@sess/file', url.description, ['@sess/file']);
  const directory = url.path;
  if ((options.mode ?? 'use') !== 'create') {
    const found = await stat(directory).catch(() => undefined);
    if (!found?.isDirectory()) {
      throw new InvalidOptionError(`The session directory ${url.description} does not exist.`);
    }
  }
  const { maxPayloadBytes, fsync } = url.options;
  const store = new FileStore({
    directory,
    operationTimeoutMs: timeoutMs,
    ...(maxPayloadBytes === undefined ? {} : { maxPayloadBytes }),
    ...(fsync === undefined ? {} : { fsync }),
  });
  return { store, backend: { kind: 'file', directory }, close: () => store.close() };
}
