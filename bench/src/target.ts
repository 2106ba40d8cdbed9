/**
 * What the bench measures: for each backend, the sess store, the raw driver
 * doing the same work, and popular peer stores, all on the same servers.
 */

/** One way of keeping sessions. Every method does one request's worth of work. */
export interface BenchTarget {
  /** Shown in the tables: 'sess', 'raw', or the peer's package name. */
  readonly name: string;
  readonly role: 'sess' | 'raw' | 'peer';
  /** Writes a new session. */
  create(id: string, data: string, expiresAt: number): Promise<unknown>;
  /** Reads a session. */
  get(id: string): Promise<unknown>;
  /**
   * Replaces a session's data. sess stores pass the version of their last
   * write as `ifVersion`, as `SessionManager` does; keep it per id.
   */
  update(id: string, data: string, expiresAt: number): Promise<unknown>;
  /** Moves a session's expiry only. */
  touch(id: string, expiresAt: number): Promise<unknown>;
  destroy(id: string): Promise<unknown>;
  close(): Promise<void>;
}

/** Expired records a sweep can be measured on. */
export interface SweepCase {
  readonly name: string;
  /** Sizes above this are not measured (say why where it is set). */
  readonly maxSize?: number;
  /** Writes `count` already-expired records (fast path: bulk insert). */
  fill(count: number): Promise<void>;
  /** Removes expired records and returns how many. */
  sweep(): Promise<number>;
  /** A read that runs while the sweep does, for its latency under the sweep. */
  read(): Promise<unknown>;
  close(): Promise<void>;
}

export interface BackendSetup {
  readonly targets: BenchTarget[];
  /** Server versions and settings to record with the results. */
  readonly info: Record<string, string>;
  readonly sweeps?: SweepCase[];
  /** Bytes one stored session takes, where the backend reports it. */
  readonly memoryPerSession?: () => Promise<number | undefined>;
  teardown(): Promise<void>;
}

/** A backend: starts or connects to its servers and opens the targets on them. */
export interface BenchBackend {
  readonly name: string;
  setup(): Promise<BackendSetup>;
}
