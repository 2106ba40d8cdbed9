import type * as Core from '@sess/core';

/** What one sweep did. */
export interface SweepReport extends Core.SweepReport {
  /** Temp files of writers that died, removed. */
  readonly staleTemps: number;
}

export type SweeperOptions = Core.SweeperOptions<SweepReport>;
export type SweeperStats = Core.SweeperStats<SweepReport>;
export type Sweeper = Core.Sweeper<SweepReport>;
