import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { barChart } from '../report.js';
import {
  type BackendName,
  PEER_STORES,
  TARGET_LABELS,
  type TargetName,
  WORKLOADS,
  type Workload,
} from './config.js';

/** One target on one backend and workload: the medians of its rounds. */
export interface HttpRow {
  readonly backend: BackendName;
  readonly workload: Workload;
  readonly target: TargetName;
  readonly requestsPerSec: number;
  /** The server's CPU time per request, in µs. */
  readonly cpuPerRequestUs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Failed requests over every round (errors, timeouts, non-2xx). */
  readonly failures: number;
}

export interface HttpResults {
  readonly machine: Record<string, string | number>;
  readonly servers: Record<string, string>;
  readonly rows: readonly HttpRow[];
}

/** A ratio the bench has a target for, and whether it was met. */
export interface Ratio {
  readonly backend: BackendName;
  readonly workload: Workload;
  readonly framework: 'express' | 'fastify';
  readonly against: 'peer' | 'no sessions';
  readonly value: number;
  /** The least acceptable value, where there is a target. */
  readonly target?: number;
}

const PEER_TARGET = 1.2;
const CEILING_TARGET = 0.85;

/** sess against its peer and against the app without sessions, per framework, backend and workload. */
export function ratios(rows: readonly HttpRow[]): Ratio[] {
  const rate = (backend: BackendName, workload: Workload, target: TargetName) =>
    rows.find((r) => r.backend === backend && r.workload === workload && r.target === target)
      ?.requestsPerSec;
  const out: Ratio[] = [];
  const cells = new Set(rows.map((r) => `${r.backend}|${r.workload}`));
  for (const cell of cells) {
    const [backend, workload] = cell.split('|') as [BackendName, Workload];
    for (const framework of ['express', 'fastify'] as const) {
      const sess = rate(backend, workload, `${framework}-sess`);
      const peer = rate(backend, workload, `${framework}-session`);
      const none = rate(backend, workload, `${framework}-none`);
      if (sess === undefined) continue;
      if (peer) {
        out.push({
          backend,
          workload,
          framework,
          against: 'peer',
          value: sess / peer,
          target: PEER_TARGET,
        });
      }
      if (none) {
        // The ceiling target stands for the read-mostly request on Redis and SQLite.
        const target =
          workload === 'read-mostly' && backend !== 'postgres' ? CEILING_TARGET : undefined;
        out.push({
          backend,
          workload,
          framework,
          against: 'no sessions',
          value: sess / none,
          ...(target === undefined ? {} : { target }),
        });
      }
    }
  }
  return out;
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function verdict(ratio: Ratio): string {
  if (ratio.target === undefined) return '';
  return ratio.value >= ratio.target ? 'met' : `**missed** (target ${ratio.target}×)`;
}

/** The summary: every ratio, and whether it meets its target. */
export function ratioTable(rows: readonly HttpRow[]): string {
  const lines = [
    '| backend | workload | framework | sess vs its peer | target ≥1.2× | sess vs no sessions | target ≥0.85× |',
    '| --- | --- | --- | --: | --- | --: | --- |',
  ];
  const all = ratios(rows);
  for (const peer of all.filter((r) => r.against === 'peer')) {
    const ceiling = all.find(
      (r) =>
        r.against === 'no sessions' &&
        r.backend === peer.backend &&
        r.workload === peer.workload &&
        r.framework === peer.framework,
    );
    lines.push(
      `| ${peer.backend} | ${peer.workload} | ${peer.framework} | ${peer.value.toFixed(2)}× | ${verdict(peer)} | ${ceiling ? `${ceiling.value.toFixed(2)}×` : ''} | ${ceiling ? verdict(ceiling) : ''} |`,
    );
  }
  return lines.join('\n');
}

/** Every cell: requests per second and latency. */
export function cellTable(rows: readonly HttpRow[]): string {
  const lines = [
    '| backend | workload | app | req/s | p50 ms | p99 ms | server CPU µs/request | failed |',
    '| --- | --- | --- | --: | --: | --: | --: | --: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.backend} | ${r.workload} | ${TARGET_LABELS[r.target]} | ${fmt(r.requestsPerSec)} | ${fmt(r.p50Ms, 1)} | ${fmt(r.p99Ms, 1)} | ${fmt(r.cpuPerRequestUs)} | ${r.failures} |`,
    );
  }
  return lines.join('\n');
}

function markdown(results: HttpResults): string {
  const { machine, servers, rows } = results;
  return [
    '# sess end-to-end HTTP bench\n',
    `${Object.entries(machine)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}.\n`,
    `Servers: ${Object.entries(servers)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}. Peer stores: ${Object.entries(PEER_STORES)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.\n`,
    '## Ratios\n',
    ratioTable(rows),
    '',
    ...WORKLOADS.flatMap((w) => FRAMEWORKS.map((f) => `![${f}, ${w}](./http-${f}-${w}.svg)\n`)),
    '## Every cell\n',
    cellTable(rows),
    '',
  ].join('\n');
}

const FRAMEWORKS = ['express', 'fastify'] as const;

/** Writes `http.json`, `http.md` and a chart per framework and workload into `directory`. */
export async function writeHttpResults(directory: string, results: HttpResults): Promise<void> {
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, 'http.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(directory, 'http.md'), markdown(results));
  for (const workload of WORKLOADS) {
    for (const framework of FRAMEWORKS) {
      const bars = results.rows
        .filter((r) => r.workload === workload && r.target.startsWith(`${framework}-`))
        .map((r) => ({
          group: r.backend,
          series: TARGET_LABELS[r.target],
          value: r.requestsPerSec,
        }));
      if (bars.length === 0) continue;
      await writeFile(
        join(directory, `http-${framework}-${workload}.svg`),
        barChart(`${framework}, ${workload}: requests per second at 64 connections`, bars, {
          scale: 'linear',
          unit: 'req/s',
        }),
      );
    }
  }
}
