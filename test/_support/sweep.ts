/**
 * Exhaustive in CI and on request (STEPPE_EXHAUSTIVE=1), sampled otherwise: the values of
 * [min, max] a sweep test should visit. The sample always includes both ends.
 */
export function sweep(min: number, max: number, sampled = 64): number[] {
  const all = process.env.CI === 'true' || process.env.STEPPE_EXHAUSTIVE === '1';
  if (all || max - min + 1 <= sampled)
    return Array.from({ length: max - min + 1 }, (_, i) => min + i);
  const out = new Set<number>([min, max]);
  while (out.size < sampled) out.add(min + Math.floor(Math.random() * (max - min + 1)));
  return [...out].sort((a, b) => a - b);
}
