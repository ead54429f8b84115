import type { AttemptResult } from './traffic/types.js';

/** Measured cell codes: see expected.ts; "~" here means degraded (some sessions failed). */
export type CellCode = 'P' | 'B' | 'p26' | 'D' | 'I' | 'S' | '~' | 'n/a' | 'error';

/** P(X ≤ k) for X ~ Binomial(n, p), by summing the pmf in log space. */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  let logC = 0;
  let sum = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    sum += Math.exp(logC + i * Math.log(p) + (n - i) * Math.log1p(-p));
  }
  return Math.min(1, sum);
}

/**
 * The central interval [lo, hi] of Binomial(n, p) holding at least `conf` of the mass: lo is the
 * largest k with P(X < k) ≤ (1−conf)/2, hi the smallest with P(X > hi) ≤ (1−conf)/2. A blocked
 * count outside it rejects "this censor blocks with probability p" at level 1 − conf.
 */
export function binomialInterval(n: number, p: number, conf = 0.99): [number, number] {
  const tail = (1 - conf) / 2;
  let lo = 0;
  while (lo < n && binomialCdf(lo, n, p) <= tail) lo++;
  let hi = n;
  while (hi > 0 && 1 - binomialCdf(hi - 1, n, p) <= tail) hi--;
  return [lo, hi];
}

/**
 * The gfw-report `affected` rule (censors.md §6.1): blocked when at least five attempts in a row
 * fail (five consecutive timeouts), passing when none fails, degraded otherwise. A rare session
 * that slips through (an obfs4 handshake shorter than the entropy rule's 149-byte gate) does not
 * turn a blocked cell into a degraded one as long as five others failed in a row.
 */
export function classifyAttempts(results: readonly AttemptResult[]): 'P' | 'B' | '~' {
  const failed = results.filter((r) => !r.ok).length;
  if (failed === 0) return 'P';
  let run = 0;
  let best = 0;
  for (const r of results) {
    run = r.ok ? 0 : run + 1;
    best = Math.max(best, run);
  }
  return best >= Math.min(5, results.length) ? 'B' : '~';
}
