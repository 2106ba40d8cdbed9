import type { ListPage } from '@sess/core';
import { InvalidOptionError } from '@sess/core';
import { readdirIfExists, statIfExists, streamNames } from './fs-calls.js';
import { idOfFileName, isShardName, type Layout } from './layout.js';
import { expiryOf, type ReadRecord, type ReadResult } from './record-file.js';

/** Groups a stream into arrays of up to `size` items. */
export async function* inBatches<T>(source: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of source) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * The `count` smallest record file names after `after`, in order, from a
 * stream of names. Holds at most `count` names however long the stream: a
 * page of `list()` costs one pass over a directory, not a copy of it.
 */
export async function smallestNames(
  names: AsyncIterable<string>,
  count: number,
  after?: string,
): Promise<string[]> {
  const kept: string[] = [];
  for await (const name of names) {
    if (after !== undefined && name <= after) continue;
    if (kept.length === count && name >= (kept[count - 1] as string)) continue;
    if (idOfFileName(name) === undefined) continue;
    let low = 0;
    let high = kept.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((kept[middle] as string) < name) low = middle + 1;
      else high = middle;
    }
    kept.splice(low, 0, name);
    if (kept.length > count) kept.pop();
  }
  return kept;
}

/**
 * One page of every live record, in file-name order shard by shard. Each
 * page streams the shards it visits and keeps only `limit` names in memory;
 * the cursor is the shard and last name looked at, so records created or
 * destroyed between pages never make a page repeat or skip the others.
 */
export async function listRecords(
  layout: Layout,
  limit: number,
  cursor: string | undefined,
  now: number,
): Promise<ListPage> {
  const after = parseCursor(cursor);
  const shards = (await readdirIfExists(layout.recordsDir)).filter(isShardName).sort();
  const candidates: Array<{ shard: string; name: string }> = [];
  let next: string | undefined;
  for (const shard of shards) {
    if (after && shard < after.shard) continue;
    const need = limit - candidates.length;
    const names = await smallestNames(
      streamNames(layout.shardDir(shard)),
      need + 1,
      after && shard === after.shard ? after.name : undefined,
    );
    const page = names.slice(0, need);
    for (const name of page) candidates.push({ shard, name });
    if (names.length > need || (candidates.length === limit && shard !== shards.at(-1))) {
      next = `${shard}:${page.at(-1) ?? after?.name ?? ''}`;
      break;
    }
  }
  const stats = await Promise.all(
    candidates.map(({ shard, name }) => statIfExists(`${layout.shardDir(shard)}/${name}`)),
  );
  const ids: string[] = [];
  candidates.forEach(({ name }, i) => {
    const found = stats[i];
    if (found && expiryOf(found) > now) ids.push(idOfFileName(name) as string);
  });
  return next === undefined ? { ids } : { ids, cursor: next };
}

/** One page of a user's live records, from the user's index entries; the cursor is the last name. */
export async function listUserRecords(
  layout: Layout,
  userId: string,
  limit: number,
  cursor: string | undefined,
  read: (file: string) => Promise<ReadResult>,
  isLive: (record: ReadRecord) => boolean,
): Promise<ListPage> {
  if (cursor !== undefined && idOfFileName(cursor) === undefined) throw badCursor();
  const names = await smallestNames(streamNames(layout.userDir(userId)), limit + 1, cursor);
  const page = names.slice(0, limit);
  const reads = await Promise.all(
    page.map((name) => read(layout.record(idOfFileName(name) as string).file)),
  );
  const ids: string[] = [];
  page.forEach((name, i) => {
    const found = reads[i];
    // An entry can outlive its record or name a record since given to someone else.
    if (found?.kind === 'record' && found.record.userId === userId && isLive(found.record)) {
      ids.push(idOfFileName(name) as string);
    }
  });
  const last = page.at(-1);
  return names.length > limit && last !== undefined ? { ids, cursor: last } : { ids };
}

function badCursor(): InvalidOptionError {
  return new InvalidOptionError('list() cursor must be the string a previous page returned.');
}

function parseCursor(cursor: string | undefined): { shard: string; name: string } | undefined {
  if (cursor === undefined) return undefined;
  const shard = cursor.slice(0, 2);
  const name = cursor.slice(3);
  if (
    cursor[2] !== ':' ||
    !isShardName(shard) ||
    (name !== '' && idOfFileName(name) === undefined)
  ) {
    throw badCursor();
  }
  return { shard, name };
}
