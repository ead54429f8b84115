/** Small, dependency-free statistics for the bench: medians, percentiles, histograms, KS distance. */

export function median(xs: readonly number[]): number {
  return percentile(xs, 50);
}

/** Linear-interpolated percentile (p in [0, 100]) of the finite values; NaN when there are none. */
export function percentile(xs: readonly number[], p: number): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = s[lo] ?? Number.NaN;
  const b = s[hi] ?? Number.NaN;
  return a + (b - a) * (rank - lo);
}

export interface Histogram {
  /** Lower edge of each bin; the last bin is open-ended (≥ its edge). */
  readonly edges: number[];
  readonly counts: number[];
  readonly total: number;
}

/** Counts xs into bins [edges[i], edges[i+1]); values below edges[0] go to bin 0. */
export function histogram(xs: ArrayLike<number>, edges: readonly number[]): Histogram {
  const counts = new Array<number>(edges.length).fill(0);
  let total = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i] ?? Number.NaN;
    if (!Number.isFinite(x)) continue;
    let b = 0;
    // Bins are few (≤ 40): a linear scan is simpler than a binary search and fast enough.
    while (b + 1 < edges.length && x >= (edges[b + 1] ?? Infinity)) b++;
    counts[b] = (counts[b] ?? 0) + 1;
    total++;
  }
  return { edges: [...edges], counts, total };
}

/**
 * Two-sample Kolmogorov–Smirnov statistic: the largest gap between the empirical CDFs. 0 means
 * the samples look alike; 1 means they do not overlap at all. Used to say whether steppe's
 * inter-arrival times at iat-mode 1/2 look like obfs4proxy's.
 */
export function ksDistance(a: readonly number[], b: readonly number[]): number {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  if (x.length === 0 || y.length === 0) return Number.NaN;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i] ?? Infinity, y[j] ?? Infinity);
    while (i < x.length && (x[i] ?? Infinity) <= v) i++;
    while (j < y.length && (y[j] ?? Infinity) <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

export function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}
