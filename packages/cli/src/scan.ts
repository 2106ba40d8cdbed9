import type { ListPage, SessionStore, StoredSession } from '@sess/core';
import { mapConcurrent } from './pool.js';

/** A page of live records, as `list` paged them and `get` read them. */
export interface RecordPage {
  readonly records: ReadonlyArray<readonly [id: string, record: StoredSession]>;
  /** Ids listed but gone (expired or destroyed) before they were read. */
  readonly gone: number;
  readonly cursor: string | undefined;
}

/**
 * Every live record of a store that can list, page by page: each page's
 * records are read `concurrency` at a time while the next page is already
 * being listed.
 */
export async function* scanRecords(
  store: SessionStore,
  options: {
    pageSize: number;
    concurrency: number;
    signal?: AbortSignal | undefined;
    userId?: string;
    /** Where an earlier scan stopped. */
    from?: string | undefined;
  },
): AsyncGenerator<RecordPage> {
  const list = (cursor: string | undefined) =>
    store.list?.({
      limit: options.pageSize,
      ...(cursor === undefined ? {} : { cursor }),
      ...(options.userId === undefined ? {} : { userId: options.userId }),
    }) ?? Promise.resolve({ ids: [] });
  let next: ReturnType<typeof list> | undefined = list(options.from);
  while (next) {
    const page: ListPage = await next;
    next = page.cursor === undefined || options.signal?.aborted ? undefined : list(page.cursor);
    // A prefetch that is dropped must not become an unhandled rejection.
    next?.catch(() => undefined);
    const read = await mapConcurrent(page.ids, options.concurrency, (id) => store.get(id));
    const records: Array<readonly [string, StoredSession]> = [];
    read.forEach((record, i) => {
      if (record) records.push([page.ids[i] as string, record]);
    });
    yield { records, gone: page.ids.length - records.length, cursor: page.cursor };
  }
}
