import { quantile } from './stats.js';
import type { BenchTarget } from './target.js';

export const PHASES = ['create', 'get', 'touch', 'update', 'mixed', 'destroy'] as const;
export type Phase = (typeof PHASES)[number];

export interface PhaseResult {
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
}

/** A realistic session: a user, a CSRF token, a cart, flash messages, about 350 bytes of JSON. */
export function sessionData(variant: number): string {
  return JSON.stringify({
    userId: `user-${variant % 1000}`,
    csrf: 'bWFkZS11cC1jc3JmLXRva2VuLWZvci10aGUtYmVuY2g',
    cart: [
      { sku: 'A-1001', qty: 2, price: 1999 },
      { sku: 'B-2002', qty: 1, price: 4999 },
    ],
    flash: ['Saved.'],
    prefs: { theme: 'dark', locale: 'en-GB', tz: 'Europe/London' },
    visits: variant,
    lastSeen: '2026-11-25T12:00:00.000Z',
  });
}

const HOUR = 3_600_000;

function operation(target: BenchTarget, phase: Phase, id: string, i: number): Promise<unknown> {
  const expiresAt = Date.now() + HOUR;
  switch (phase) {
    case 'create':
      return target.create(id, sessionData(i), expiresAt);
    case 'get':
      return target.get(id);
    case 'touch':
      return target.touch(id, expiresAt + 60_000);
    case 'update':
      return target.update(id, sessionData(i + 1), expiresAt);
    case 'mixed':
      return i % 5 === 0 ? target.update(id, sessionData(i + 2), expiresAt) : target.get(id);
    case 'destroy':
      return target.destroy(id);
  }
}

/** Runs one phase over `ids` with `concurrency` requests in flight; times every operation. */
export async function runPhase(
  target: BenchTarget,
  phase: Phase,
  ids: readonly string[],
  concurrency: number,
): Promise<PhaseResult> {
  const latencies = new Float64Array(ids.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < ids.length; i = next++) {
      const started = performance.now();
      await operation(target, phase, ids[i] as string, i);
      latencies[i] = performance.now() - started;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
  const elapsed = performance.now() - started;
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    opsPerSec: (ids.length / elapsed) * 1000,
    p50Us: quantile(sorted, 0.5) * 1000,
    p99Us: quantile(sorted, 0.99) * 1000,
  };
}
