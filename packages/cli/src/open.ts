import { type OpenedStore, type OpenStoreOptions, openStore } from '@sess/url';
import type { CliIo } from './io.js';

/** Opens a store for one command and closes it afterwards, whatever happens. */
export async function withStore<T>(
  io: CliIo,
  spec: string,
  options: OpenStoreOptions,
  work: (opened: OpenedStore) => Promise<T>,
): Promise<T> {
  const opened = await openStore(spec, {
    onWarning: (message) => io.err(`sess: warning: ${message}`),
    ...options,
  });
  try {
    return await work(opened);
  } finally {
    await opened.close().catch(() => undefined);
  }
}
