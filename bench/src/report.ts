import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Phase, PhaseResult } from './phases.js';
import type { SweepResult } from './sweep.js';

export interface Row extends PhaseResult {
  backend: string;
  target: string;
  role: 'sess' | 'raw' | 'peer';
  phase: Phase;
  concurrency: number;
  /** sess ops/s over the raw driver's, same backend, phase and concurrency. */
  vsRaw?: number;
  /** ops/s over the fastest peer's. */
  vsBestPeer?: number;
}

/** Fills in the ratios: each row against the raw baseline and the best peer of its cell. */
export function withRatios(rows: Row[]): Row[] {
  return rows.map((row) => {
    const cell = rows.filter(
      (r) =>
        r.backend === row.backend && r.phase === row.phase && r.concurrency === row.concurrency,
    );
    const raw = cell.find((r) => r.role === 'raw');
    const peers = cell.filter((r) => r.role === 'peer');
    const bestPeer = Math.max(0, ...peers.map((r) => r.opsPerSec));
    return {
      ...row,
      ...(raw && row.role !== 'raw' ? { vsRaw: row.opsPerSec / raw.opsPerSec } : {}),
      ...(bestPeer > 0 && row.role !== 'peer' ? { vsBestPeer: row.opsPerSec / bestPeer } : {}),
    };
  });
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (n: number | undefined) => (n === undefined ? '' : `${n.toFixed(2)}×`);

export function markdownTable(rows: Row[]): string {
  const lines = [
    '| backend | store | phase | conc. | ops/s | p50 µs | p99 µs | vs raw | vs best peer |',
    '|---|---|---|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.backend} | ${r.target} | ${r.phase} | ${r.concurrency} | ${fmt(r.opsPerSec)} | ${fmt(r.p50Us)} | ${fmt(r.p99Us)} | ${ratio(r.vsRaw)} | ${ratio(r.vsBestPeer)} |`,
    );
  }
  return lines.join('\n');
}

const COLORS = ['#2563eb', '#9ca3af', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6'];
const xml = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A grouped bar chart of ops/s per phase and concurrency, one bar per store,
 * on a log scale: one request in flight and 64 differ by orders of magnitude.
 */
export function svgChart(backend: string, rows: Row[]): string {
  const targets = [...new Set(rows.map((r) => r.target))];
  const groups = [...new Set(rows.map((r) => `${r.phase}@${r.concurrency}`))];
  const values = rows.map((r) => r.opsPerSec).filter((v) => v > 0);
  // A decade below the slowest bar, so no bar is a sliver.
  const low = Math.floor(Math.log10(Math.min(...values))) - 1;
  const high = Math.ceil(Math.log10(Math.max(...values)));
  const bar = 12;
  const groupWidth = targets.length * bar + 14;
  const [left, top, height] = [70, 40, 240];
  const width = left + groups.length * groupWidth + 20;
  const y = (value: number) =>
    top + height - (height * (Math.log10(Math.max(value, 10 ** low)) - low)) / (high - low || 1);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${top + height + 90}" font-family="sans-serif" font-size="11">`,
    `<text x="${left}" y="20" font-size="14" font-weight="bold">${xml(backend)}: operations per second (log scale, higher is better)</text>`,
  ];
  for (let power = low; power <= high; power++) {
    parts.push(
      `<line x1="${left}" x2="${width - 10}" y1="${y(10 ** power)}" y2="${y(10 ** power)}" stroke="#e5e7eb"/>`,
      `<text x="${left - 6}" y="${y(10 ** power) + 4}" text-anchor="end">${xml(fmt(10 ** power))}</text>`,
    );
  }
  groups.forEach((group, g) => {
    const x0 = left + g * groupWidth + 7;
    targets.forEach((target, t) => {
      const row = rows.find((r) => r.target === target && `${r.phase}@${r.concurrency}` === group);
      if (!row) return;
      const top0 = y(row.opsPerSec);
      parts.push(
        `<rect x="${x0 + t * bar}" y="${top0.toFixed(1)}" width="${bar - 2}" height="${(top + height - top0).toFixed(1)}" fill="${COLORS[t % COLORS.length]}"><title>${xml(`${target} ${group}: ${fmt(row.opsPerSec)} ops/s`)}</title></rect>`,
      );
    });
    const [phase, concurrency] = group.split('@');
    parts.push(
      `<text x="${x0 + (targets.length * bar) / 2}" y="${top + height + 14}" text-anchor="middle">${xml(phase ?? '')}</text>`,
      `<text x="${x0 + (targets.length * bar) / 2}" y="${top + height + 27}" text-anchor="middle" fill="#6b7280">×${xml(concurrency ?? '')}</text>`,
    );
  });
  targets.forEach((target, t) => {
    const x = left + t * 130;
    const legendY = top + height + 50;
    parts.push(
      `<rect x="${x}" y="${legendY}" width="10" height="10" fill="${COLORS[t % COLORS.length]}"/>`,
      `<text x="${x + 14}" y="${legendY + 9}">${xml(target)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

export interface BackendResult {
  backend: string;
  rows: Row[];
  sweeps: SweepResult[];
  info: Record<string, string>;
  bytesPerSession: number | undefined;
}

export interface Results {
  machine: {
    date: string;
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    node: string;
    sessions: number;
    rounds: number;
  };
  results: BackendResult[];
}

function markdownReport({ machine, results }: Results): string {
  return [
    '# sess bench results\n',
    `${machine.date}: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}; ${machine.sessions} sessions × ${machine.rounds} rounds (medians).\n`,
    ...results.map((r) =>
      [
        `## ${r.backend}\n`,
        `Servers: ${Object.entries(r.info)
          .map(([k, v]) => `${k} ${v}`)
          .join('; ')}\n`,
        `![${r.backend}](./${r.backend}.svg)\n`,
        markdownTable(r.rows),
        ...r.sweeps.map(
          (s) =>
            `\nSweep (${s.name}): ${s.size} expired records cleared in ${s.ms.toFixed(0)} ms; readers' p99 during it ${s.readerP99Us.toFixed(0)} µs.`,
        ),
        r.bytesPerSession === undefined
          ? ''
          : `\nMemory per stored session: ${r.bytesPerSession} bytes.`,
        '',
      ].join('\n'),
    ),
  ].join('\n');
}

/** Writes `latest.json`, `latest.md` and one chart per backend into `directory`. */
export async function writeResults(directory: string, results: Results): Promise<void> {
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(directory, 'latest.md'), markdownReport(results));
  for (const r of results.results) {
    await writeFile(join(directory, `${r.backend}.svg`), svgChart(r.backend, r.rows));
  }
}
