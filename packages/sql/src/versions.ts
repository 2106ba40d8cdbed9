import { randomFillSync } from 'node:crypto';

/**
 * Record versions: 96 random bits as 16 base64url characters. Random, not a
 * counter, so a record created again after a destroy never repeats the
 * version a reader may still hold, and no shared state is needed between
 * processes. Random bytes are drawn in blocks to keep this off the hot path.
 */
const BLOCK = 12 * 256;
const pool = Buffer.alloc(BLOCK);
let offset = BLOCK;

export function newVersion(): string {
  if (offset === BLOCK) {
    randomFillSync(pool);
    offset = 0;
  }
  const version = pool.toString('base64url', offset, offset + 12);
  offset += 12;
  return version;
}
