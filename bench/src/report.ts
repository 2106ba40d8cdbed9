import type { Phase, PhaseResult } from './phases.js';

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

/** A grouped bar chart of ops/s per phase and concurrency, one bar per store. */
export function svgChart(backend: string, rows: Row[]): string {
  const targets = [...new Set(rows.map((r) => r.target))];
  const groups = [...new Set(rows.map((r) => `${r.phase}@${r.concurrency}`))];
  const max = Math.max(1, ...rows.map((r) => r.opsPerSec));
  const bar = 12;
  const groupWidth = targets.length * bar + 14;
  const [left, top, height] = [70, 40, 240];
  const width = left + groups.length * groupWidth + 20;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${top + height + 90}" font-family="sans-serif" font-size="11">`,
    `<text x="${left}" y="20" font-size="14" font-weight="bold">${xml(backend)}: operations per second (higher is better)</text>`,
  ];
  for (let tick = 0; tick <= 4; tick++) {
    const value = (max * tick) / 4;
    const y = top + height - (height * tick) / 4;
    parts.push(
      `<line x1="${left}" x2="${width - 10}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`,
      `<text x="${left - 6}" y="${y + 4}" text-anchor="end">${xml(fmt(value))}</text>`,
    );
  }
  groups.forEach((group, g) => {
    const x0 = left + g * groupWidth + 7;
    targets.forEach((target, t) => {
      const row = rows.find((r) => r.target === target && `${r.phase}@${r.concurrency}` === group);
      if (!row) return;
      const h = (row.opsPerSec / max) * height;
      parts.push(
        `<rect x="${x0 + t * bar}" y="${top + height - h}" width="${bar - 2}" height="${h}" fill="${COLORS[t % COLORS.length]}"><title>${xml(`${target} ${group}: ${fmt(row.opsPerSec)} ops/s`)}</title></rect>`,
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
    const y = top + height + 50;
    parts.push(
      `<rect x="${x}" y="${y}" width="10" height="10" fill="${COLORS[t % COLORS.length]}"/>`,
      `<text x="${x + 14}" y="${y + 9}">${xml(target)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
