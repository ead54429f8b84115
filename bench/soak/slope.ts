/** Least-squares line through (x, y) points: how fast something grows, robust to sample noise. */

/** Slope dy/dx of the least-squares fit over the finite points; NaN with fewer than 3. */
export function leastSquaresSlope(xs: readonly number[], ys: readonly number[]): number {
  const pts: [number, number][] = [];
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    const x = xs[i];
    const y = ys[i];
    if (x !== undefined && y !== undefined && Number.isFinite(x) && Number.isFinite(y))
      pts.push([x, y]);
  }
  if (pts.length < 3) return Number.NaN;
  const mx = pts.reduce((a, p) => a + p[0], 0) / pts.length;
  const my = pts.reduce((a, p) => a + p[1], 0) / pts.length;
  let num = 0;
  let den = 0;
  for (const [x, y] of pts) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}
