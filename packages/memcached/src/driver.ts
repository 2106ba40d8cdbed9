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
  /**
   * Deletes the item; false when there was none. With `cas`, only if the
   * item's CAS token is still `cas` (false otherwise).
   */
  delete(key: string, options?: { readonly cas: string }): Promise<boolean>;
  /**
   * Optional: prepends `head` to the item's value, then reads the item while
   * moving its expiry to `exptime` (absolute Unix seconds), in one round trip:
   * both commands go out together on one connection, so the server runs them
   * in that order. The item as read, or null on a miss. A prepend the server
   * refuses (no item, or one that would grow past its size limit) is not an
   * error: the read shows what is there.
   *
   * `MemcachedStore` touches in one round trip with it; without it, a touch
   * reads the record and rewrites it with compare-and-set. A driver that
   * offers it must honour `delete`'s `cas`.
   */
  prependAndTouch?(key: string, head: Buffer, exptime: number): Promise<MetaItem | null>;
  close(): Promise<void>;
}
