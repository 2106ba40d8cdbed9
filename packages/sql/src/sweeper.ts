import type * as Core from '@sess/core';

/** What one sweep did. */
export interface SweepReport extends Core.SweepReport {
  /** Statements it took (each deletes at most `sweepBatchSize` rows). */
  readonly batches: number;
  /** True when another instance held the sweep lock, so this one did nothing. */
  readonly skipped: boolean;
}

export type SweeperOptions = Core.SweeperOptions<SweepReport>;
export type SweeperStats = Core.SweeperStats<SweepReport>;
export type Sweeper = Core.Sweeper<SweepReport>;
