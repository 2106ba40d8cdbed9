/**
 * The session codec against plain JSON.stringify / JSON.parse, on a typical
 * session: encode and decode throughput in operations per second.
 *
 * Standalone, after building core: `pnpm --filter @sess/bench codec`.
 * The bench harness can import `measureCodec` instead.
 */
import { pathToFileURL } from 'node:url';
import { defaultSessionCodec } from '@sess/core';

export interface CodecResult {
  readonly case: string;
  readonly operation: 'encode' | 'decode';
  readonly codec: 'sess' | 'json';
  readonly opsPerSecond: number;
  readonly bytes: number;
}

/** What a signed-in user's session typically holds. */
function typicalSession(): Record<string, unknown> {
  return {
    userId: 'u_8f14e45fceea167a5a36dedd4bea2543',
    csrf: 'q0Zm0rH2l7oV0w3Xw4m1s9Vx0c2b7Yd5',
    roles: ['user', 'beta'],
    prefs: { theme: 'dark', lang: 'en-GB', tz: 'Europe/London', compact: false },
    cart: Array.from({ length: 5 }, (_, i) => ({
      sku: `SKU-${1000 + i}`,
      qty: (i % 3) + 1,
      price: 19.99 + i,
      title: `Product number ${i}`,
    })),
    flash: null,
    visits: 42,
    lastSeen: new Date('2024-05-01T10:00:00Z'),
  };
}

/** The same session using the types plain JSON cannot keep. */
function richSession(): Record<string, unknown> {
  return {
    ...typicalSession(),
    loginAt: new Date('2024-05-01T09:00:00Z'),
    quota: 123456789012345678901234567890n,
    seenTips: new Set(['welcome', 'cart', 'search']),
    drafts: new Map([
      ['d1', { text: 'hello', at: new Date(0) }],
      ['d2', { text: 'world', at: new Date(1) }],
    ]),
  };
}

/** Runs `fn` repeatedly for about `ms` after a warm-up; returns operations per second. */
function opsPerSecond(fn: () => unknown, ms = 1000): number {
  for (let i = 0; i < 2000; i++) fn();
  let ops = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(ms) * 1_000_000n;
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 500; i++) fn();
    ops += 500;
    elapsed = process.hrtime.bigint() - start;
  }
  return Math.round((ops * 1e9) / Number(elapsed));
}

// JSON.stringify throws on BigInt; plain JSON apps turn it into a string.
const jsonReplacer = (_key: string, value: unknown) =>
  typeof value === 'bigint'
    ? value.toString()
    : value instanceof Set || value instanceof Map
      ? [...value]
      : value;

export function measureCodec(ms = 1000): CodecResult[] {
  const codec = defaultSessionCodec;
  const cases: Array<Omit<CodecResult, 'opsPerSecond'> & { run: () => unknown }> = [];
  for (const [name, make, replacer] of [
    ['typical', typicalSession, undefined],
    ['rich types', richSession, jsonReplacer],
  ] as const) {
    const data = make();
    const sess = codec.encode(data);
    const json = JSON.stringify(data, replacer);
    const base = { case: name, bytes: Buffer.byteLength(sess) } as const;
    const jsonBase = { case: name, bytes: Buffer.byteLength(json) } as const;
    cases.push(
      { ...base, operation: 'encode', codec: 'sess', run: () => codec.encode(data) },
      {
        ...jsonBase,
        operation: 'encode',
        codec: 'json',
        run: () => JSON.stringify(data, replacer),
      },
      { ...base, operation: 'decode', codec: 'sess', run: () => codec.decode(sess, codec.format) },
      { ...jsonBase, operation: 'decode', codec: 'json', run: () => JSON.parse(json) },
    );
  }
  // Rounds interleave the cases and the best round counts, so a busy moment
  // on a shared machine does not land on one side of a comparison only.
  const rounds = 5;
  const best = cases.map(() => 0);
  for (let round = 0; round < rounds; round++) {
    cases.forEach((c, i) => {
      best[i] = Math.max(best[i] as number, opsPerSecond(c.run, ms / rounds));
    });
  }
  return cases.map(({ run: _, ...c }, i) => ({ ...c, opsPerSecond: best[i] as number }));
}

function report(results: CodecResult[]): void {
  const rows = results.map((r) => {
    const json = results.find(
      (o) => o.case === r.case && o.operation === r.operation && o.codec === 'json',
    );
    return {
      case: r.case,
      operation: r.operation,
      codec: r.codec,
      'ops/s': r.opsPerSecond.toLocaleString('en-US'),
      bytes: r.bytes,
      'vs json': json ? `${(r.opsPerSecond / json.opsPerSecond).toFixed(2)}x` : '',
    };
  });
  console.table(rows);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  report(measureCodec());
}
