// What the parser fuzz suites share: the number of runs, random cut points and the split they
// make, and the rule that a parser may only throw PtErrors.
import fc from 'fast-check';
import { PtError } from '../../src/errors.js';

export const RUNS = process.env.CI === 'true' ? 300 : 60;

/** Cut points as fractions of the input's length. */
export const cutsArb = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });

/** Cuts `data` at the given fractions into consecutive pieces. */
export function split(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * data.length)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, data.length]) {
    out.push(data.subarray(prev, p));
    prev = p;
  }
  return out;
}

/** Runs `fn`; true if it threw a PtError, false if it returned; anything else is rethrown. */
export function onlyPtErrors(fn: () => void): boolean {
  try {
    fn();
    return false;
  } catch (e) {
    if (!(e instanceof PtError)) throw e;
    return true;
  }
}
