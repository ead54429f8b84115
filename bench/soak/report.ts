/**
 * The soak bench's results: per process and metric the baseline, the end of the load, the value
 * after the drain, and least-squares slopes per hour over the load phase (whole, and its second
 * half, which excludes the ramp-up while the pools of idle, probe and slowloris connections fill).
 * Rendered as markdown (stdout) and an SVG of the series.
 */
import { fmt } from '../perf/report.js';
import type { WorkloadCounts } from './workload.js';
import type { ProcSample } from './sampler.js';
import { leastSquaresSlope } from './slope.js';

export interface SeriesReport {
  /** e.g. "steppe server". */
  readonly name: string;
  readonly impl: string;
  readonly role: 'client' | 'server';
  readonly pid: number;
  readonly samples: readonly ProcSample[];
  readonly crashed?: string;
}

export interface PairLoad {
  readonly impl: string;
  readonly counts: WorkloadCounts;
  readonly live: readonly { t: number; idle: number; probes: number; slowloris: number }[];
}

export interface SummaryRow {
  readonly series: string;
  readonly metric: string;
  readonly unit: string;
  readonly baseline: number;
  readonly endOfLoad: number;
  readonly afterDrain: number;
  readonly max: number;
  /** Units per hour over the whole load phase. */
  readonly slopeLoad: number;
  /** Units per hour over the second half of the load phase. */
  readonly slopeLate: number;
}

export interface SoakReport {
  readonly meta: {
    readonly date: string;
    readonly command: string;
    readonly cpu: string;
    readonly cores: number;
    readonly node: string;
    readonly kernel: string;
    readonly durationS: number;
    readonly intervalS: number;
    readonly drainS: number;
    readonly iatMode: number;
    readonly rates: Record<string, number>;
    readonly loadAvg: readonly number[];
  };
  readonly series: readonly SeriesReport[];
  readonly load: readonly PairLoad[];
  readonly summary: readonly SummaryRow[];
  readonly notes: readonly string[];
}

interface MetricDef {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  readonly get: (s: ProcSample) => number | undefined;
}

export const METRICS: readonly MetricDef[] = [
  { id: 'rss', label: 'RSS', unit: 'MiB', get: (s) => s.rssKiB / 1024 },
  { id: 'heap', label: 'heap after GC', unit: 'MiB', get: (s) => (s.heapKiB ?? NaN) / 1024 },
  {
    id: 'heapTotal',
    label: 'V8 heap reserved',
    unit: 'MiB',
    get: (s) => (s.heapTotalKiB ?? NaN) / 1024,
  },
  {
    id: 'external',
    label: 'external (Buffers)',
    unit: 'MiB',
    get: (s) => (s.externalKiB ?? NaN) / 1024,
  },
  { id: 'fds', label: 'open fds', unit: 'fds', get: (s) => s.fds },
  { id: 'eld', label: 'event-loop delay p99', unit: 'ms', get: (s) => s.eldP99Ms },
];

function last<T>(xs: readonly T[]): T | undefined {
  return xs[xs.length - 1];
}

export function summarize(series: readonly SeriesReport[], loadS: number): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const m of METRICS) {
    for (const s of series) {
      const v = (x: ProcSample | undefined): number => (x ? (m.get(x) ?? NaN) : NaN);
      const load = s.samples.filter((x) => x.phase === 'load');
      if (!load.some((x) => Number.isFinite(v(x)))) continue;
      const late = load.filter((x) => x.t >= loadS / 2);
      const hours = (xs: readonly ProcSample[]): number[] => xs.map((x) => x.t / 3600);
      rows.push({
        series: s.name,
        metric: m.label,
        unit: m.unit,
        baseline: v(last(s.samples.filter((x) => x.phase === 'baseline'))),
        endOfLoad: v(last(load)),
        afterDrain: v(last(s.samples.filter((x) => x.phase === 'drain'))),
        max: Math.max(...s.samples.map(v).filter(Number.isFinite)),
        slopeLoad: leastSquaresSlope(hours(load), load.map(v)),
        slopeLate: leastSquaresSlope(hours(late), late.map(v)),
      });
    }
  }
  return rows;
}

/** Whole numbers (fd counts) as they are, the rest with fmt's significant digits. */
function num(x: number): string {
  return Number.isInteger(x) ? String(x) : fmt(x);
}

function signed(x: number): string {
  return Number.isFinite(x) && x > 0 ? `+${fmt(x)}` : fmt(x);
}

export function renderSoakMarkdown(r: SoakReport): string {
  const m = r.meta;
  const out: string[] = [];
  out.push(
    `# bench:soak, ${m.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `\`${m.command}\`: ${(m.durationS / 60).toFixed(1)} min of mixed load at iat-mode ${m.iatMode}, a sample every ${m.intervalS} s, then ${m.drainS} s with every bench socket closed. ${m.cpu} (${m.cores} cores), Node ${m.node}, Linux ${m.kernel}.`,
    '',
    `Per pair: ${Object.entries(m.rates)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    '',
    '| process | metric | baseline | end of load | after drain | max | slope/h (load) | slope/h (2nd half) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const row of r.summary) {
    out.push(
      `| ${row.series} | ${row.metric} (${row.unit}) | ${num(row.baseline)} | ${num(row.endOfLoad)} | ${num(row.afterDrain)} | ${num(row.max)} | ${signed(row.slopeLoad)} | ${signed(row.slopeLate)} |`,
    );
  }
  out.push(
    '',
    '| pair | churn ok/failed | bulk ok/failed (MiB) | idle opened/failed/dropped | probes (bytes back) | slowloris |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const p of r.load) {
    const c = p.counts;
    out.push(
      `| ${p.impl} | ${c.churnOk}/${c.churnFailed} | ${c.bulkOk}/${c.bulkFailed} (${fmt(c.bulkBytes / 2 ** 20)}) | ${c.idleOpened}/${c.idleFailed}/${c.idleDropped} | ${c.probes} (${c.probeBytesBack}) | ${c.slowloris} |`,
    );
  }
  const errors = r.load.filter((p) => p.counts.firstError !== undefined);
  if (errors.length || r.notes.length || r.series.some((s) => s.crashed)) out.push('');
  for (const p of errors) out.push(`- ${p.impl}: first failure: ${p.counts.firstError}`);
  for (const s of r.series) if (s.crashed) out.push(`- ${s.name} crashed: ${s.crashed}`);
  for (const n of r.notes) out.push(`- ${n}`);
  return out.join('\n') + '\n';
}

const COLORS: Record<string, string> = {
  'steppe server': '#d9534f',
  'steppe client': '#f0a35e',
  'obfs4proxy server': '#4a78b5',
  'obfs4proxy client': '#7fb3d5',
};

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Small multiples: one panel per metric, one line per process, the drain phase shaded. */
export function soakSvg(r: SoakReport): string {
  const panelW = 460;
  const panelH = 170;
  const padL = 56;
  const padT = 50;
  const cols = 2;
  const metrics = METRICS.filter((m) =>
    r.series.some((s) => s.samples.some((x) => Number.isFinite(m.get(x) ?? NaN))),
  );
  const rows = Math.ceil(metrics.length / cols);
  const width = cols * (panelW + padL + 20) + 10;
  const height = padT + rows * (panelH + 50) + 10;
  const all = r.series.flatMap((s) => s.samples);
  const t0 = Math.min(...all.map((s) => s.t));
  const t1 = Math.max(...all.map((s) => s.t), t0 + 1);
  const el: string[] = [
    `<text x="10" y="20" font-size="15" font-weight="bold">${esc(`bench:soak ${r.meta.date.slice(0, 10)}: ${(r.meta.durationS / 60).toFixed(1)} min load, iat-mode ${r.meta.iatMode}`)}</text>`,
  ];
  let lx = 10;
  for (const s of r.series) {
    const c = COLORS[s.name] ?? '#666';
    el.push(
      `<rect x="${lx}" y="30" width="12" height="4" fill="${c}"/><text x="${lx + 16}" y="36" font-size="11">${esc(s.name)}</text>`,
    );
    lx += 140;
  }
  metrics.forEach((m, i) => {
    const ox = 10 + (i % cols) * (panelW + padL + 20) + padL;
    const oy = padT + Math.floor(i / cols) * (panelH + 50) + 16;
    const ys = r.series
      .flatMap((s) => s.samples.map((x) => m.get(x) ?? NaN))
      .filter(Number.isFinite);
    const ymax = Math.max(...ys, 1e-9) * 1.05;
    const X = (t: number): number => ox + ((t - t0) / (t1 - t0)) * panelW;
    const Y = (y: number): number => oy + panelH - (y / ymax) * panelH;
    const drain = all.filter((x) => x.phase === 'drain').map((x) => x.t);
    if (drain.length) {
      const dx = X(Math.min(...drain));
      el.push(
        `<rect x="${dx.toFixed(1)}" y="${oy}" width="${(ox + panelW - dx).toFixed(1)}" height="${panelH}" fill="#eee"/>`,
      );
    }
    el.push(
      `<rect x="${ox}" y="${oy}" width="${panelW}" height="${panelH}" fill="none" stroke="#999"/>`,
      `<text x="${ox}" y="${oy - 6}" font-size="12" font-weight="bold">${esc(`${m.label} (${m.unit})`)}</text>`,
      `<text x="${ox - 4}" y="${oy + 10}" font-size="10" text-anchor="end">${esc(fmt(ymax))}</text>`,
      `<text x="${ox - 4}" y="${oy + panelH}" font-size="10" text-anchor="end">0</text>`,
      `<text x="${ox + panelW}" y="${oy + panelH + 14}" font-size="10" text-anchor="end">${esc(`${fmt(t1 / 60)} min`)}</text>`,
    );
    for (const s of r.series) {
      const pts = s.samples
        .map((x) => [x.t, m.get(x) ?? NaN] as const)
        .filter(([, y]) => Number.isFinite(y))
        .map(([t, y]) => `${X(t).toFixed(1)},${Y(y).toFixed(1)}`);
      if (pts.length > 1)
        el.push(
          `<polyline fill="none" stroke="${COLORS[s.name] ?? '#666'}" stroke-width="1.5" points="${pts.join(' ')}"/>`,
        );
    }
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">\n${el.join('\n')}\n</svg>\n`;
}
