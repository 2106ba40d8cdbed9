import type { SweepReport } from '@sess/core';

/** What one sweep of a `FileStore` did. */
export interface FileSweepReport extends SweepReport {
  /** Temp files of writers that died, removed. */
  readonly staleTemps: number;
}
