import { createHash } from 'node:crypto';

/** Points each server gets on the ring: 40 MD5 digests of 4 points each, as ketama does. */
const DIGESTS_PER_SERVER = 40;

function md5(text: string): Buffer {
  return createHash('md5').update(text).digest();
}

/**
 * A ketama-style consistent-hash ring. Each server owns 160 points on a
 * 32-bit circle; a key belongs to the first point at or after its own hash.
 * Adding or removing a server moves only the keys of the arcs it gains or
 * loses, and the same server list always gives the same placement, in every
 * process.
 *
 * @example
 * const ring = new HashRing(['10.0.0.1:11211', '10.0.0.2:11211']);
 * ring.locate('sess:abc'); // index of the server that owns the key
 */
export class HashRing {
  readonly #points: Uint32Array;
  readonly #owners: Uint16Array;
  readonly #single: boolean;

  /** `labels` name the servers (`host:port`); placement depends on them, not on their order. */
  constructor(labels: readonly string[]) {
    if (labels.length === 0) throw new Error('A hash ring needs at least one server.');
    if (new Set(labels).size !== labels.length) throw new Error('Server labels must be unique.');
    this.#single = labels.length === 1;
    const points: Array<[point: number, owner: number]> = [];
    labels.forEach((label, owner) => {
      for (let i = 0; i < DIGESTS_PER_SERVER; i++) {
        const digest = md5(`${label}-${i}`);
        for (let j = 0; j < 4; j++) points.push([digest.readUInt32LE(j * 4), owner]);
      }
    });
    // Ties (vanishingly rare) go to the server whose label sorts first, so the
    // order servers are listed in never changes placement.
    points.sort((a, b) => a[0] - b[0] || compare(labels[a[1]], labels[b[1]]));
    this.#points = Uint32Array.from(points, ([point]) => point);
    this.#owners = Uint16Array.from(points, ([, owner]) => owner);
  }

  /** Index (in the constructor's list) of the server that owns `key`. */
  locate(key: string): number {
    if (this.#single) return 0;
    const hash = md5(key).readUInt32LE(0);
    const points = this.#points;
    let low = 0;
    let high = points.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((points[mid] as number) < hash) low = mid + 1;
      else high = mid;
    }
    return this.#owners[low === points.length ? 0 : low] as number;
  }
}

function compare(a: string | undefined, b: string | undefined): number {
  return a === b ? 0 : (a ?? '') < (b ?? '') ? -1 : 1;
}
