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

/** One bar of a grouped bar chart. */
export interface Bar {
  /** The group it stands in (a phase, a backend). */
  readonly group: string;
  /** The group's name under its bars; default `group`. */
  readonly label?: string;
  /** A second line under the group's name. */
  readonly note?: string;
  /** Which series it belongs to: its colour and legend entry. */
  readonly series: string;
  readonly value: number;
}

/**
 * A grouped bar chart, one bar per series in each group. `log` suits values
 * that differ by orders of magnitude (one request in flight against 64);
 * `linear` shows ratios as they are.
 */
export function barChart(
  title: string,
  bars: readonly Bar[],
  { scale, unit }: { scale: 'log' | 'linear'; unit: string },
): string {
  const series = [...new Set(bars.map((b) => b.series))];
  const groups = [...new Set(bars.map((b) => b.group))];
  const values = bars.map((b) => b.value).filter((v) => v > 0);
  // Log: a decade below the slowest bar, so no bar is a sliver. Linear: from 0.
  const low = scale === 'log' ? Math.floor(Math.log10(Math.min(...values))) - 1 : 0;
  const high =
    scale === 'log'
      ? Math.ceil(Math.log10(Math.max(...values)))
      : niceCeiling(Math.max(...values, 1));
  const [left, top, height] = [70, 40, 240];
  // One legend row, entries as wide as the longest name needs; with few
  // groups, bars widen (up to 40 px) to span the legend.
  const spacing = Math.max(130, 7 * Math.max(...series.map((name) => name.length)) + 24);
  const spread = Math.floor((series.length * spacing - 14 * groups.length) / bars.length);
  const bar = Math.min(40, Math.max(12, spread));
  const groupWidth = series.length * bar + 14;
  const width = Math.max(left + groups.length * groupWidth + 20, left + series.length * spacing);
  const position = (value: number) =>
    scale === 'log' ? Math.log10(Math.max(value, 10 ** low)) - low : value;
  const y = (value: number) => top + height - (height * position(value)) / (high - low || 1);
  const ticks =
    scale === 'log'
      ? Array.from({ length: high - low + 1 }, (_, i) => 10 ** (low + i))
      : Array.from({ length: 5 }, (_, i) => (high * i) / 4);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${top + height + 90}" font-family="sans-serif" font-size="11">`,
    `<text x="${left}" y="20" font-size="14" font-weight="bold">${xml(title)}</text>`,
  ];
  for (const tick of ticks) {
    parts.push(
      `<line x1="${left}" x2="${width - 10}" y1="${y(tick)}" y2="${y(tick)}" stroke="#e5e7eb"/>`,
      `<text x="${left - 6}" y="${y(tick) + 4}" text-anchor="end">${xml(fmt(tick))}</text>`,
    );
  }
  groups.forEach((group, g) => {
    const x0 = left + g * groupWidth + 7;
    const first = bars.find((b) => b.group === group);
    series.forEach((name, t) => {
      const found = bars.find((b) => b.series === name && b.group === group);
      if (!found) return;
      const top0 = y(found.value);
      parts.push(
        `<rect x="${x0 + t * bar}" y="${top0.toFixed(1)}" width="${bar - 2}" height="${(top + height - top0).toFixed(1)}" fill="${COLORS[t % COLORS.length]}"><title>${xml(`${name} ${group}: ${fmt(found.value)} ${unit}`)}</title></rect>`,
      );
    });
    const note = first?.note;
    parts.push(
      `<text x="${x0 + (series.length * bar) / 2}" y="${top + height + 14}" text-anchor="middle">${xml(first?.label ?? group)}</text>`,
    );
    if (note) {
      parts.push(
        `<text x="${x0 + (series.length * bar) / 2}" y="${top + height + 27}" text-anchor="middle" fill="#6b7280">${xml(note)}</text>`,
      );
    }
  });
  series.forEach((name, t) => {
    const x = left + t * spacing;
    const legendY = top + height + 50;
    parts.push(
      `<rect x="${x}" y="${legendY}" width="10" height="10" fill="${COLORS[t % COLORS.length]}"/>`,
      `<text x="${x + 14}" y="${legendY + 9}">${xml(name)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** 1, 2 or 5 times a power of ten, at or above `value`. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].find((step) => step * power >= value) ?? 10) * power;
}

/** Operations per second per phase and concurrency, one bar per store, on a log scale. */
export function svgChart(backend: string, rows: Row[]): string {
  return barChart(
    `${backend}: operations per second (log scale, higher is better)`,
    rows.map((r) => ({
      group: `${r.phase}@${r.concurrency}`,
      label: r.phase,
      note: `×${r.concurrency}`,
      series: r.target,
      value: r.opsPerSec,
    })),
    { scale: 'log', unit: 'ops/s' },
  );
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
