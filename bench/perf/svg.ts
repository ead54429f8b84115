/**
 * Hand-written SVG charts (no dependency): one bar pair per headline metric, each pair scaled to
 * its own maximum so that metrics in different units share a chart, with the A/B ratio beside
 * it; and small multiples of the inter-arrival histograms per iat-mode.
 */
import { fmt } from './report.js';
import { headlineByGroup, type Report, type TimingCell } from './results.js';

const COLOR_A = '#d9534f';
const COLOR_B = '#4a78b5';

function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`;
}

export function metricsSvg(r: Report): string {
  const rows = headlineByGroup(r.metrics);
  const labelW = 360;
  const barW = 330;
  const rowH = 34;
  const top = 56;
  const width = labelW + barW + 190;
  const groups = new Set(rows.map((m) => m.group)).size;
  const height = top + rows.length * rowH + groups * 22 + 20;
  const el: string[] = [];
  el.push(
    text(
      10,
      22,
      `${r.meta.A} vs ${r.meta.B}: medians, ${r.meta.reps} rep(s), ${r.meta.date.slice(0, 10)}`,
      'font-size="15" font-weight="bold"',
    ),
    `<rect x="10" y="32" width="12" height="10" fill="${COLOR_A}"/>`,
    text(26, 41, r.meta.A),
    `<rect x="120" y="32" width="12" height="10" fill="${COLOR_B}"/>`,
    text(136, 41, r.meta.B),
    text(labelW + barW + 70, 41, 'A/B (target)', 'font-weight="bold"'),
  );
  let y = top;
  let group = '';
  for (const m of rows) {
    if (m.group !== group) {
      group = m.group;
      y += 4;
      el.push(text(10, y + 12, group, 'font-weight="bold"'));
      y += 18;
    }
    const max = Math.max(m.A.median, m.B.median);
    const scale = (v: number): number => (Number.isFinite(v) && max > 0 ? (v / max) * barW : 0);
    el.push(text(20, y + 18, `${m.label} (${m.unit})`));
    el.push(
      `<rect x="${labelW}" y="${y + 4}" width="${scale(m.A.median).toFixed(1)}" height="12" fill="${COLOR_A}"/>`,
    );
    el.push(
      `<rect x="${labelW}" y="${y + 17}" width="${scale(m.B.median).toFixed(1)}" height="12" fill="${COLOR_B}"/>`,
    );
    el.push(text(labelW + scale(m.A.median) + 4, y + 14, fmt(m.A.median), 'font-size="10"'));
    el.push(text(labelW + scale(m.B.median) + 4, y + 27, fmt(m.B.median), 'font-size="10"'));
    const met = m.meetsTarget ?? m.meetsLimit;
    const ok = met === undefined ? '#333' : met ? '#2e7d32' : '#c62828';
    const target = m.target ? ` (${m.target.op} ${m.target.ratio})` : '';
    const ratio = Number.isFinite(m.ratio) ? `${m.ratio.toFixed(2)}×${target}` : '–';
    el.push(text(labelW + barW + 70, y + 21, ratio, `fill="${ok}" font-weight="bold"`));
    y += rowH;
  }
  return wrap(width, height, el);
}

function wrap(width: number, height: number, el: string[]): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n${el.join('\n')}\n</svg>\n`
  );
}

/** One panel per (leg, iat-mode): percentage of gaps per bin, A and B side by side. */
export function timingSvg(r: Report): string {
  const cells: TimingCell[] = r.timing;
  const legs = (['up', 'down'] as const).filter((l) => cells.some((c) => c.leg === l));
  const modes = [...new Set(cells.map((c) => c.mode))].sort();
  const pw = 330;
  const ph = 200;
  const gap = 30;
  const top = 50;
  const width = modes.length * (pw + gap) + gap;
  const height = top + legs.length * (ph + 60) + 10;
  const el: string[] = [
    text(
      10,
      22,
      `Inter-arrival times between reads at a relay between the PTs (% of gaps per bin)`,
      'font-size="15" font-weight="bold"',
    ),
    `<rect x="10" y="30" width="12" height="10" fill="${COLOR_A}"/>`,
    text(26, 39, r.meta.A),
    `<rect x="120" y="30" width="12" height="10" fill="${COLOR_B}"/>`,
    text(136, 39, r.meta.B),
  ];
  legs.forEach((leg, li) => {
    modes.forEach((mode, mi) => {
      const c = cells.find((x) => x.leg === leg && x.mode === mode);
      const x0 = gap + mi * (pw + gap);
      const y0 = top + li * (ph + 60) + 20;
      const dir = leg === 'up' ? 'client→server' : 'server→client';
      const ks = c?.ksGap !== undefined ? `, KS ${fmt(c.ksGap)}` : '';
      el.push(text(x0, y0 - 6, `iat-mode ${mode}, ${dir}${ks}`, 'font-weight="bold"'));
      el.push(`<rect x="${x0}" y="${y0}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
      const h = c?.A?.gapHistogram ?? c?.B?.gapHistogram;
      if (!c || !h) return;
      const n = h.edges.length;
      const slot = pw / n;
      const frac = (side: 'A' | 'B', i: number): number => {
        const hh = c[side]?.gapHistogram;
        return hh && hh.total > 0 ? (hh.counts[i] ?? 0) / hh.total : 0;
      };
      let max = 0;
      for (let i = 0; i < n; i++) max = Math.max(max, frac('A', i), frac('B', i));
      if (max === 0) max = 1;
      for (let i = 0; i < n; i++) {
        const bx = x0 + i * slot;
        const ha = (frac('A', i) / max) * (ph - 10);
        const hb = (frac('B', i) / max) * (ph - 10);
        el.push(
          `<rect x="${(bx + 1).toFixed(1)}" y="${(y0 + ph - ha).toFixed(1)}" width="${(slot / 2 - 1).toFixed(1)}" height="${ha.toFixed(1)}" fill="${COLOR_A}"/>`,
        );
        el.push(
          `<rect x="${(bx + slot / 2).toFixed(1)}" y="${(y0 + ph - hb).toFixed(1)}" width="${(slot / 2 - 1).toFixed(1)}" height="${hb.toFixed(1)}" fill="${COLOR_B}"/>`,
        );
        el.push(text(bx, y0 + ph + 12, String(h.edges[i]), 'font-size="8"'));
      }
      el.push(text(x0 + pw - 40, y0 + ph + 26, 'gap (ms)', 'font-size="10"'));
      el.push(text(x0 + 4, y0 + 12, `max ${(max * 100).toFixed(0)}%`, 'font-size="10"'));
    });
  });
  return wrap(width, height, el);
}
