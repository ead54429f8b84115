/** Renders a Report as the markdown the bench prints (and the README quotes). */
import type { Histogram } from './stats.js';
import { headlineByGroup, type MetricSummary, type Report, type TimingCell } from './results.js';

const ARROW = { up: 'client→server', down: 'server→client' } as const;

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(1);
  if (a >= 10) return x.toFixed(2);
  if (a >= 0.01) return x.toFixed(3);
  if (a === 0) return '0';
  return x.toPrecision(2);
}

function ratioCell(m: MetricSummary): string {
  return Number.isFinite(m.ratio) ? `${m.ratio.toFixed(2)}×` : '–';
}

function mark(ok: boolean | undefined): string {
  return ok === undefined ? '?' : ok ? 'yes' : '**no**';
}

/** The ratio target and the absolute limit on A, each with whether this run met it. */
function targetCell(m: MetricSummary): string {
  const parts: string[] = [];
  if (m.target) parts.push(`${m.target.op} ${m.target.ratio}× ${mark(m.meetsTarget)}`);
  if (m.limit) parts.push(`A ${m.limit.op} ${m.limit.value} ${m.unit} ${mark(m.meetsLimit)}`);
  return parts.join('; ');
}

function histLabel(h: Histogram, i: number, unit: string): string {
  const lo = h.edges[i] ?? 0;
  const hi = h.edges[i + 1];
  return hi === undefined ? `≥ ${lo} ${unit}` : `${lo}–${hi} ${unit}`;
}

function pct(h: Histogram | undefined, i: number): string {
  if (!h || h.total === 0) return '–';
  return `${((100 * (h.counts[i] ?? 0)) / h.total).toFixed(1)}`;
}

function timingTables(timing: TimingCell[], A: string, B: string): string[] {
  const out: string[] = [];
  for (const leg of ['up', 'down'] as const) {
    const cells = timing.filter((c) => c.leg === leg);
    if (cells.length === 0) continue;
    const dir = leg === 'up' ? 'client→server' : 'server→client';
    out.push('', `Wire timing at a relay between the PTs, ${dir}, one bulk connection:`, '');
    out.push(
      '| iat-mode | side | MB/s | reads | median gap ms | p90 gap ms | p99 gap ms | median read B | KS vs B (gap / size) |',
      '|---|---|---:|---:|---:|---:|---:|---:|---|',
    );
    for (const c of cells) {
      for (const side of ['A', 'B'] as const) {
        const t = c[side];
        if (!t) continue;
        const ks =
          side === 'A' && c.ksGap !== undefined
            ? `${fmt(c.ksGap)} / ${fmt(c.ksSize ?? Number.NaN)}`
            : '';
        out.push(
          `| ${c.mode} | ${side === 'A' ? A : B} | ${fmt(t.mbps)} | ${t.gaps + 1} | ${fmt(t.medianGapMs)} | ${fmt(t.p90GapMs)} | ${fmt(t.p99GapMs)} | ${fmt(t.medianReadBytes)} | ${ks} |`,
        );
      }
    }
    const ref = cells.find((c) => c.A ?? c.B);
    const h = ref?.A?.gapHistogram ?? ref?.B?.gapHistogram;
    if (!h) continue;
    out.push('', `Inter-arrival histogram, ${dir} (% of gaps):`, '');
    const heads = cells.flatMap((c) => [`${c.mode}: ${A}`, `${c.mode}: ${B}`]);
    out.push(`| gap | ${heads.join(' | ')} |`, `|---|${heads.map(() => '---:').join('|')}|`);
    for (let i = 0; i < h.edges.length; i++) {
      const row = cells.flatMap((c) => [pct(c.A?.gapHistogram, i), pct(c.B?.gapHistogram, i)]);
      out.push(`| ${histLabel(h, i, 'ms')} | ${row.join(' | ')} |`);
    }
  }
  return out;
}

export function renderMarkdown(r: Report): string {
  const { A, B } = r.meta;
  const out: string[] = [];
  out.push(
    `## Performance: ${A} vs ${B} (A/B: ${A} ÷ ${B})`,
    '',
    `${r.meta.date}, ${r.meta.host.cpus} × ${r.meta.host.model}` +
      (r.meta.host.detail ? ` (${r.meta.host.detail})` : '') +
      `, Node ${r.meta.host.node}, Linux ${r.meta.host.kernel}. ` +
      (r.meta.host.sides ? `A = ${r.meta.host.sides.A}, B = ${r.meta.host.sides.B}. ` : '') +
      `${r.meta.quick ? 'Quick run' : 'Full run'}: ${r.meta.reps} repetition(s) per metric, A/B alternating, medians; ` +
      `${r.meta.durationSec.toFixed(0)} s; other processes used ${fmt(r.meta.otherLoadCores.median)} cores (median) meanwhile. ` +
      `Command: \`${r.meta.command}\`.`,
    '',
    `| metric | ${A} | ${B} | A/B | target |`,
    '|---|---:|---:|---:|---|',
  );
  let group = '';
  for (const m of headlineByGroup(r.metrics)) {
    if (m.group !== group) {
      group = m.group;
      out.push(`| **${group}** | | | | |`);
    }
    const errs = m.errors.length > 0 ? ` (${m.errors.length} error(s))` : '';
    out.push(
      `| ${m.label} (${m.unit})${errs} | ${fmt(m.A.median)} | ${fmt(m.B.median)} | ${ratioCell(m)} | ${targetCell(m)} |`,
    );
  }
  if (r.ceiling.length > 0) {
    out.push(
      '',
      'Harness ceiling (load generator → sink directly, no PT): ' +
        r.ceiling
          .map((c) => `${c.label} ${fmt(c.mbps)} MB/s (${fmt(c.harnessCpuPerGiB)} CPU s/GiB)`)
          .join('; ') +
        '.',
    );
  }
  out.push(...timingTables(r.timing, A, B));
  if (r.mixed.length > 0) {
    out.push('', 'Mixed pairs (interop sanity, iat-mode 0, one repetition):', '');
    out.push(
      '| client→server | up MB/s | down MB/s | handshakes/s | errors |',
      '|---|---:|---:|---:|---|',
    );
    for (const m of r.mixed) {
      out.push(
        `| ${m.pair} | ${fmt(m.upMBps)} | ${fmt(m.downMBps)} | ${fmt(m.handshakesPerSec)} | ${m.errors.join('; ').replace(/\|/g, '/')} |`,
      );
    }
  }
  if (r.syscalls.length > 0) {
    out.push(
      '',
      'Syscalls per MiB of application data (iat-mode 0, one connection, under `strace -c -f`; a full frame carries 1427 bytes, 735 frames per MiB):',
      '',
    );
    out.push(
      '| side | direction | process | calls/MiB | calls/frame | top syscalls (calls/MiB) |',
      '|---|---|---|---:|---:|---|',
    );
    for (const s of r.syscalls) {
      out.push(
        `| ${s.side} | ${ARROW[s.dir]} | ${s.role} | ${fmt(s.totalPerMiB)} | ${fmt(s.perFrame)} | ${s.top.map((t) => `${t.name} ${fmt(t.perMiB)}`).join(', ')} |`,
      );
    }
  }
  const errors = r.metrics.flatMap((m) => m.errors.map((e) => `${m.id} ${e}`));
  if (errors.length > 0) {
    out.push('', 'Errors:', '', ...errors.slice(0, 30).map((e) => `- ${e.replace(/\n/g, ' ')}`));
  }
  if (r.meta.crashes.length > 0) {
    const counts = new Map<string, number>();
    for (const c of r.meta.crashes) {
      const k = `${c.pt}: ${c.reason}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    out.push(
      '',
      'PT crashes (the pair was restarted and the measurement discarded):',
      '',
      ...[...counts.entries()].map(([k, n]) => `- ${n}× ${k}`),
    );
  }
  if (r.meta.notes.length > 0) out.push('', 'Notes:', '', ...r.meta.notes.map((n) => `- ${n}`));
  return out.join('\n') + '\n';
}
