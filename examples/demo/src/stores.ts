import type { SessionStore } from '@sess/core';
import { openStore as openFromUrl } from '@sess/url';

/** A store the demo opened, and how to let go of it. */
export interface OpenedStore {
  readonly store: SessionStore;
  /** What to print: the URL without credentials. */
  readonly description: string;
  close(): Promise<void>;
}

/** The store used when `SESS_STORE` is not set: SQLite, embedded, survives restarts. */
export const DEFAULT_STORE_URL = 'sqlite:./.data/demo.db';

/**
 * Opens the store a `SESS_STORE` URL names, through `@sess/url`, which
 * imports the adapter package only when its scheme is used. The table,
 * database file or directory is created if missing.
 */
export async function openStore(spec: string = DEFAULT_STORE_URL): Promise<OpenedStore> {
  const opened = await openFromUrl(spec, { mode: 'create' });
  return { store: opened.store, description: opened.url.description, close: opened.close };
}
