import type { SweepReport } from '@sess/core';

/** What one sweep of a `SqlStore` did. */
export interface SqlSweepReport extends SweepReport {
  /** Statements it took (each deletes at most `sweepBatchSize` rows). */
  readonly batches: number;
  /** True when another instance held the sweep lock, so this one did nothing. */
  readonly skipped: boolean;
}
