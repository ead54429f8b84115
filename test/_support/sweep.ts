/**
 * Exhaustive in CI and on request (STEPPE_EXHAUSTIVE=1), sampled otherwise: the values of
 * [min, max] a sweep test should visit. The sample always includes both ends.
 */
export function sweep(min: number, max: number, sampled = 64): number[] {
  const all = process.env.CI === 'true' || process.env.STEPPE_EXHAUSTIVE === '1';
  if (all) return sample(min, max, max - min + 1);
  return sample(min, max, sampled);
}

/**
 * Always sampled, in CI too: `count` values of [min, max] (both ends included), for ranges too
 * wide to visit whole in any run.
 */
export function sample(min: number, max: number, count: number): number[] {
  if (max - min + 1 <= count) return Array.from({ length: max - min + 1 }, (_, i) => min + i);
  const out = new Set<number>([min, max]);
  while (out.size < count) out.add(min + Math.floor(Math.random() * (max - min + 1)));
  return [...out].sort((a, b) => a - b);
}
