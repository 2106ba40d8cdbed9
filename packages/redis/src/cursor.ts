import { InvalidOptionError } from '@sess/core';
import { isValidSessionId } from '@sess/core/store-kit';

/**
 * Where a listing stopped: which server (the index in the sorted list of
 * masters), the SCAN cursor there, and the ids a SCAN call returned beyond
 * the page, which the next page starts with. Carrying them, rather than
 * scanning the same stretch again, is what keeps pages free of duplicates
 * and gaps: re-running a SCAN call need not return the same keys.
 *
 * Text form: `<node>.<scan cursor>[.<id>...]` (ids never hold '.').
 */
export interface ScanPosition {
  node: number;
  scan: string;
  pending: string[];
}

export function encodeScanCursor(position: ScanPosition): string {
  return [String(position.node), position.scan, ...position.pending].join('.');
}

export function decodeScanCursor(cursor: string | undefined, nodes: number): ScanPosition {
  if (cursor === undefined) return { node: 0, scan: '0', pending: [] };
  const [node, scan, ...pending] = cursor.split('.');
  const index = Number(node);
  if (
    !Number.isSafeInteger(index) ||
    index < 0 ||
    // Past the last server when only carried ids are left.
    index > nodes ||
    (index === nodes && pending.length === 0) ||
    scan === undefined ||
    !/^\d{1,20}$/.test(scan) ||
    !pending.every(isValidSessionId)
  ) {
    throw new InvalidOptionError('list() cursor must be the string a previous page returned.');
  }
  return { node: index, scan, pending };
}

/** A user listing's cursor is the last id it looked at. */
export function decodeUserCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || isValidSessionId(cursor)) return cursor;
  throw new InvalidOptionError('list() cursor must be the string a previous page returned.');
}
