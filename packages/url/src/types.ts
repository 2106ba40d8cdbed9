import type { SessionStore } from '@sess/core';
import type { StoreUrl } from './parse.js';

/**
 * What `openStore` does to the backend besides connecting.
 * - `use` (the default): the table, database file or directory must exist;
 *   a missing one is an error naming it. Nothing is created.
 * - `create`: creates what is missing (the table and its indexes, the
 *   database file, the directory).
 * - `inspect`: checks and changes nothing (no SQLite pragmas either), for
 *   tools that look at a backend as it is.
 */
export type OpenMode = 'use' | 'create' | 'inspect';

export interface OpenStoreOptions {
  /** Default `use`. */
  readonly mode?: OpenMode;
  /** Rows one sweep statement deletes (SQL stores). Default the store's, 1000. */
  readonly sweepBatchSize?: number;
  /**
   * Receives the store's configuration warnings (a Redis that may evict
   * sessions). Default: `process.emitWarning`.
   */
  readonly onWarning?: (message: string) => void;
}

/** One Redis master, for commands outside the store contract. */
export interface RedisNode {
  /** `host:port`. */
  readonly name: string;
  /** Sends one command, bounded by the URL's timeout. */
  command(args: readonly string[]): Promise<unknown>;
}

/**
 * The backend behind an opened store, for checks outside the store contract
 * (`sess doctor`, a health endpoint). Every call is bounded by the URL's
 * timeout.
 */
export type StoreBackend =
  | { readonly kind: 'memory' }
  | { readonly kind: 'file'; readonly directory: string }
  | {
      readonly kind: 'sql';
      readonly dialect: 'sqlite' | 'postgres' | 'mysql';
      readonly table: string;
      readonly schema?: string;
      /** Runs one statement with `?` placeholders and returns its rows. */
      query(sql: string, bindings?: readonly unknown[]): Promise<Array<Record<string, unknown>>>;
    }
  | {
      readonly kind: 'redis';
      readonly cluster: boolean;
      /** The masters (one for a standalone server). */
      nodes(): Promise<readonly RedisNode[]>;
    }
  | {
      readonly kind: 'memcached';
      readonly servers: readonly string[];
      /** A server's `stats`, or `stats settings`. */
      stats(server: string, group?: 'settings'): Promise<ReadonlyMap<string, string>>;
    };

/** A store opened from a URL, and how to let go of it. */
export interface OpenedStore {
  readonly store: SessionStore;
  /** The parsed URL; `url.description` is safe to print. */
  readonly url: StoreUrl;
  readonly backend: StoreBackend;
  /** Closes the store and the client or pool opened for it. Idempotent. */
  close(): Promise<void>;
}

/** What an opener hands back; `openStore` adds the URL. */
export type Opened = Omit<OpenedStore, 'url'>;
