/**
 * What `MemcachedStore` needs from a memcached client. `MemcachedClient`
 * implements it; another client can be put behind it by implementing these
 * few calls (each one request to the server that owns the key).
 */

/** An item as read: its bytes, CAS token and client flags. */
export interface MetaItem {
  readonly value: Buffer;
  /** The item's CAS token, as the decimal string the server sent. */
  readonly cas: string;
  readonly flags: number;
}

/** How to store an item. */
export interface StoreOptions {
  /** Absolute expiry in Unix seconds (never a relative TTL). */
  readonly exptime: number;
  /** 32-bit client flags kept with the item. */
  readonly flags: number;
}

/** `stored`; `exists`: the CAS token no longer matches; `missing`: there is no item. */
export type CasOutcome = 'stored' | 'exists' | 'missing';

export interface MemcachedDriver {
  /** The item, or null on a miss. */
  get(key: string): Promise<MetaItem | null>;
  /** Stores only if there is no item; false when there is one. */
  add(key: string, value: Buffer, options: StoreOptions): Promise<boolean>;
  /** Stores only if the item's CAS token is still `cas`. */
  cas(
    key: string,
    value: Buffer,
    options: StoreOptions & { readonly cas: string },
  ): Promise<CasOutcome>;
  /** Deletes the item; false when there was none. */
  delete(key: string): Promise<boolean>;
  close(): Promise<void>;
}
