import { quantile } from './stats.js';
import type { SweepCase } from './target.js';

export interface SweepResult {
  name: string;
  size: number;
  ms: number;
  removed: number;
  reads: number;
  readerP99Us: number;
}

/** Fills each case with expired records, then times the sweep while readers keep reading. */
export async function runSweeps(
  backend: string,
  cases: SweepCase[],
  sizes: number[],
): Promise<SweepResult[]> {
  const results: SweepResult[] = [];
  for (const sweepCase of cases) {
    try {
      for (const size of sizes.filter((n) => n <= (sweepCase.maxSize ?? n))) {
        await sweepCase.fill(size);
        const latencies: number[] = [];
        let sweeping = true;
        const reader = async () => {
          while (sweeping) {
            const started = performance.now();
            await sweepCase.read();
            latencies.push(performance.now() - started);
          }
        };
        const readers = Array.from({ length: 4 }, reader);
        const started = performance.now();
        const removed = await sweepCase.sweep().finally(() => {
          sweeping = false;
        });
        const ms = performance.now() - started;
        await Promise.all(readers);
        latencies.sort((a, b) => a - b);
        results.push({
          name: `${backend}/${sweepCase.name}`,
          size,
          ms,
          removed,
          reads: latencies.length,
          readerP99Us: quantile(latencies, 0.99) * 1000,
        });
      }
    } finally {
      await sweepCase.close();
    }
  }
  return results;
}
