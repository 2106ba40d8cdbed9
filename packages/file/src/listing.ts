import { idOfFileName } from './layout.js';

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
