/**
 * The bench's result model: every number is a Metric with samples for side A (the candidate,
 * steppe) and side B (the baseline, obfs4proxy), summarised by medians and the A/B ratio, and
 * checked against the target where there is one. report.ts and svg.ts only read this.
 */
import { median } from './stats.js';
import type { Histogram } from './stats.js';

export type Side = 'A' | 'B';

export interface Target {
  /** The A/B ratio must be ≥ (higher-is-better) or ≤ (lower-is-better) this value. */
  readonly op: '>=' | '<=';
  readonly ratio: number;
}

/** An absolute bound on side A's own median (issue 12: ≤ 0.5 ms CPU per connection, ≤ 45 MiB). */
export interface Limit {
  readonly op: '>=' | '<=';
  readonly value: number;
}

export interface Metric {
  readonly id: string;
  readonly group: string;
  readonly label: string;
  readonly unit: string;
  readonly better: 'higher' | 'lower';
  readonly target?: Target;
  readonly limit?: Limit;
  /** Shown in the markdown table (JSON keeps every metric). */
  readonly headline: boolean;
  readonly samples: Record<Side, number[]>;
  readonly errors: string[];
}

export interface MetricSummary {
  id: string;
  group: string;
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  headline: boolean;
  target?: Target;
  limit?: Limit;
  A: { median: number; samples: number[] };
  B: { median: number; samples: number[] };
  /** median(A) / median(B). */
  ratio: number;
  meetsTarget?: boolean;
  /** median(A) within `limit`. */
  meetsLimit?: boolean;
  errors: string[];
}

export interface TimingSide {
  gaps: number;
  medianGapMs: number;
  p90GapMs: number;
  p99GapMs: number;
  medianReadBytes: number;
  mbps: number;
  gapHistogram: Histogram;
  sizeHistogram: Histogram;
}

export interface TimingCell {
  mode: number;
  leg: 'up' | 'down';
  A?: TimingSide;
  B?: TimingSide;
  /** Kolmogorov–Smirnov distance between A's and B's gap distributions (0 = alike). */
  ksGap?: number;
  ksSize?: number;
}

export interface MixedRow {
  pair: string;
  upMBps: number;
  downMBps: number;
  handshakesPerSec: number;
  errors: string[];
}

export interface SyscallRow {
  side: string;
  dir: 'up' | 'down';
  role: 'client' | 'server';
  mib: number;
  totalPerMiB: number;
  /** obfs4 frames per MiB at full size: 2^20 / 1427 payload bytes. */
  perFrame: number;
  top: { name: string; perMiB: number }[];
}

export interface CeilingRow {
  label: string;
  mbps: number;
  harnessCpuPerGiB: number;
}

export interface Report {
  meta: {
    date: string;
    command: string;
    quick: boolean;
    reps: number;
    durationSec: number;
    host: {
      cpus: number;
      model: string;
      /** Family, model, stepping, clock and crypto-relevant ISA extensions (cpu-info.ts). */
      detail?: string;
      node: string;
      kernel: string;
      /** Each side's implementation and runtime: "steppe 0.1.0 (Node v20…)", "obfs4proxy-0.0.14 (go1.19.8)". */
      sides?: { A: string; B: string };
    };
    A: string;
    B: string;
    /** CPU cores used by unrelated processes during measurement windows. */
    otherLoadCores: { median: number; max: number; A: number; B: number };
    notes: string[];
    /** PTs that died during the run (each was restarted; its measurement was discarded). */
    crashes: { pt: string; reason: string }[];
  };
  ceiling: CeilingRow[];
  metrics: MetricSummary[];
  timing: TimingCell[];
  mixed: MixedRow[];
  syscalls: SyscallRow[];
}

export class MetricSet {
  private readonly byId = new Map<string, Metric>();

  define(
    id: string,
    group: string,
    label: string,
    unit: string,
    better: 'higher' | 'lower',
    opts: { target?: Target; limit?: Limit; headline?: boolean } = {},
  ): Metric {
    let m = this.byId.get(id);
    if (!m) {
      m = {
        id,
        group,
        label,
        unit,
        better,
        headline: opts.headline ?? true,
        samples: { A: [], B: [] },
        errors: [],
        ...(opts.target ? { target: opts.target } : {}),
        ...(opts.limit ? { limit: opts.limit } : {}),
      };
      this.byId.set(id, m);
    }
    return m;
  }

  add(id: string, side: Side, value: number): void {
    const m = this.byId.get(id);
    if (!m) throw new RangeError(`metric ${id} is not defined`);
    if (Number.isFinite(value)) m.samples[side].push(value);
  }

  error(id: string, side: Side, message: string): void {
    this.byId.get(id)?.errors.push(`${side}: ${message}`);
  }

  summarize(): MetricSummary[] {
    return [...this.byId.values()].map((m) => {
      const a = median(m.samples.A);
      const b = median(m.samples.B);
      const ratio = a / b;
      const s: MetricSummary = {
        id: m.id,
        group: m.group,
        label: m.label,
        unit: m.unit,
        better: m.better,
        headline: m.headline,
        A: { median: a, samples: m.samples.A },
        B: { median: b, samples: m.samples.B },
        ratio,
        errors: m.errors,
      };
      if (m.target) {
        s.target = m.target;
        if (Number.isFinite(ratio)) {
          s.meetsTarget = within(ratio, m.target.op, m.target.ratio);
        }
      }
      if (m.limit) {
        s.limit = m.limit;
        if (Number.isFinite(a)) s.meetsLimit = within(a, m.limit.op, m.limit.value);
      }
      return s;
    });
  }
}

function within(x: number, op: '>=' | '<=', bound: number): boolean {
  return op === '>=' ? x >= bound : x <= bound;
}

/** Headline metrics, grouped by their group in order of first appearance (stable within a group). */
export function headlineByGroup(metrics: readonly MetricSummary[]): MetricSummary[] {
  const order = new Map<string, number>();
  for (const m of metrics) if (!order.has(m.group)) order.set(m.group, order.size);
  return metrics
    .filter((m) => m.headline)
    .map((m, i) => ({ m, i }))
    .sort((x, y) => (order.get(x.m.group) ?? 0) - (order.get(y.m.group) ?? 0) || x.i - y.i)
    .map((x) => x.m);
}
