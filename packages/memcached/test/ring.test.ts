import { describe, expect, it } from 'vitest';
import { HashRing } from '../src/ring.js';

const servers = ['10.0.0.1:11211', '10.0.0.2:11211', '10.0.0.3:11211'];
const keys = Array.from({ length: 30_000 }, (_, i) => `sess:key-${i}`);

function placement(ring: HashRing, labels: string[]): string[] {
  return keys.map((key) => labels[ring.locate(key)] as string);
}

describe('the consistent-hash ring', () => {
  it('places every key the same way whatever order the servers are listed in', () => {
    const reversed = [...servers].reverse();
    expect(placement(new HashRing(reversed), reversed)).toEqual(
      placement(new HashRing(servers), servers),
    );
  });

  it('spreads keys evenly: each of three servers gets a third, within 8 points', () => {
    const counts = new Map<string, number>();
    for (const owner of placement(new HashRing(servers), servers)) {
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    expect(counts.size).toBe(3);
    for (const count of counts.values()) {
      expect(count / keys.length).toBeGreaterThan(1 / 3 - 0.08);
      expect(count / keys.length).toBeLessThan(1 / 3 + 0.08);
    }
  });

  it('moves only about a quarter of the keys when a fourth server joins, all of them to it', () => {
    const before = placement(new HashRing(servers), servers);
    const grown = [...servers, '10.0.0.4:11211'];
    const after = placement(new HashRing(grown), grown);
    const moved = after.filter((owner, i) => owner !== before[i]);
    expect(moved.every((owner) => owner === '10.0.0.4:11211')).toBe(true);
    expect(moved.length / keys.length).toBeGreaterThan(0.15);
    expect(moved.length / keys.length).toBeLessThan(0.35);
  });

  it('moves only the keys of a server that leaves', () => {
    const before = placement(new HashRing(servers), servers);
    const shrunk = servers.slice(0, 2);
    const after = placement(new HashRing(shrunk), shrunk);
    for (const [i, owner] of before.entries()) {
      if (owner !== servers[2]) expect(after[i]).toBe(owner);
    }
  });

  it('refuses an empty or repeated server list', () => {
    expect(() => new HashRing([])).toThrow();
    expect(() => new HashRing(['a:1', 'a:1'])).toThrow();
  });
});
