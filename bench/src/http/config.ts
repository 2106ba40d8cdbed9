/** What the end-to-end bench compares: one web framework, with one way of keeping sessions. */
export const TARGETS = [
  'express-none',
  'express-sess',
  'express-session',
  'fastify-none',
  'fastify-sess',
  'fastify-session',
] as const;
export type TargetName = (typeof TARGETS)[number];

export const TARGET_LABELS: Record<TargetName, string> = {
  'express-none': 'Express, no sessions',
  'express-sess': 'Express + @sess/express',
  'express-session': 'Express + express-session',
  'fastify-none': 'Fastify, no sessions',
  'fastify-sess': 'Fastify + @sess/fastify',
  'fastify-session': 'Fastify + @fastify/session',
};

export const BACKENDS = ['redis', 'postgres', 'sqlite'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** The store each peer uses on each backend: the usual connect-* store for it. */
export const PEER_STORES: Record<BackendName, string> = {
  redis: 'connect-redis 9.0.0',
  postgres: 'connect-pg-simple 10.0.0',
  sqlite: 'better-sqlite3-session-store 0.1.0',
};

/**
 * - `read-mostly`: a logged-in user; nine reads of the session for each write.
 * - `rolling`: every request renews the session's expiry (and its cookie).
 */
export const WORKLOADS = ['read-mostly', 'rolling'] as const;
export type Workload = (typeof WORKLOADS)[number];

/** Where a server process finds its backend. */
export interface BackendLocation {
  readonly name: BackendName;
  readonly redisUrl?: string;
  readonly postgresUrl?: string;
  readonly sqliteFile?: string;
}

/** What a server process is told to run. */
export interface ServerConfig {
  readonly target: TargetName;
  readonly workload: Workload;
  readonly backend: BackendLocation;
  /** Unique per server start: key prefix or table name suffix. */
  readonly namespace: string;
}

/** About 350 bytes in the session, as in the store bench. */
export const PROFILE = 'p'.repeat(300);
export const DAY_MS = 24 * 3_600_000;
