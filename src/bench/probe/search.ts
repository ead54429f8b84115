import { randomBytes } from 'node:crypto';
import { thresholdGrid } from './probe-set.js';
import { runProbes, type ProbeRunOptions } from './runner.js';
import type { ProbeResult, ProbeTarget } from './types.js';

export interface ThresholdSearch {
  /** The smallest probe size whose reaction differs from the 1-byte baseline, if any. */
  readonly threshold: number | null;
  readonly baseline: string;
  readonly results: readonly ProbeResult[];
}

/** What a prober compares between probe sizes: close type, coarse close time, whether it answered. */
function signature(r: ProbeResult, toleranceMs: number): string {
  const t = r.closeMs === undefined ? '-' : String(Math.round(r.closeMs / toleranceMs));
  return `${r.outcome}|${t}|${r.bytesReceived > 0 ? 'data' : 'silent'}`;
}

/**
 * Bs: the generic threshold finder of Frolov et al. / getlantern/probe's ForRandomizedTransport,
 * as two parallel rounds (a log-spaced grid over 1–65536, then a linear grid inside the first
 * interval where the reaction changes), so it costs two probe budgets, not sixteen.
 */
export async function thresholdSearch(
  target: ProbeTarget,
  opts: ProbeRunOptions & { toleranceMs?: number; points?: number },
): Promise<ThresholdSearch> {
  const tol = opts.toleranceMs ?? 1000;
  const run = (sizes: number[]): Promise<ProbeResult[]> =>
    runProbes(
      target,
      sizes.map((n) => ({
        id: `Bs:${n}`,
        group: 'Bs',
        kind: 'raw' as const,
        payload: randomBytes(n),
      })),
      opts,
    );
  const grid = thresholdGrid(1, 65536, opts.points ?? 17);
  const first = await run(grid);
  const base = signature(first[0]!, tol);
  const i = first.findIndex((r) => signature(r, tol) !== base);
  if (i < 0) return { threshold: null, baseline: base, results: first };
  const lo = grid[i - 1]! + 1;
  const hi = grid[i]!;
  if (hi - lo < 1) return { threshold: hi, baseline: base, results: first };
  const fine = thresholdGrid(lo, hi, Math.min(opts.points ?? 17, hi - lo + 1));
  const second = await run(fine);
  const j = second.findIndex((r) => signature(r, tol) !== base);
  return {
    threshold: j < 0 ? hi : fine[j]!,
    baseline: base,
    results: [...first, ...second],
  };
}
