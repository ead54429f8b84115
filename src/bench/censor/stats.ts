/**
 * Byte statistics that passive classifiers compute on a first packet. Shared by the FET and
 * entropy models and by the demo's "what a censor sees" line.
 */

const POPCOUNT = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let c = 0;
  for (let v = i; v; v &= v - 1) c++;
  POPCOUNT[i] = c;
}

/** Average number of set bits per byte (the FET paper's Ex1 statistic). */
export function popcountPerByte(b: Uint8Array): number {
  if (b.length === 0) return 0;
  let n = 0;
  for (const x of b) n += POPCOUNT[x] ?? 0;
  return n / b.length;
}

/** Printable ASCII as the FET paper defines it: 0x20..0x7e. */
export function isPrintable(x: number): boolean {
  return x >= 0x20 && x <= 0x7e;
}

/** How many bytes at the start are printable (Ex2). */
export function printablePrefixLength(b: Uint8Array): number {
  let i = 0;
  while (i < b.length && isPrintable(b[i] ?? 0)) i++;
  return i;
}

/** Fraction of printable bytes (Ex3). */
export function printableFraction(b: Uint8Array): number {
  if (b.length === 0) return 0;
  let n = 0;
  for (const x of b) if (isPrintable(x)) n++;
  return n / b.length;
}

/** Longest run of contiguous printable bytes (Ex4). */
export function longestPrintableRun(b: Uint8Array): number {
  let best = 0;
  let run = 0;
  for (const x of b) {
    run = isPrintable(x) ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}

/** Byte-level Shannon entropy in bits per byte (0..8). */
export function shannonEntropy(b: Uint8Array): number {
  if (b.length === 0) return 0;
  const counts = new Uint32Array(256);
  for (const x of b) counts[x] = (counts[x] ?? 0) + 1;
  let h = 0;
  for (const c of counts) {
    if (c === 0) continue;
    const p = c / b.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Rounds for evidence records: enough digits to explain a threshold decision. */
export function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The first `n` bytes as hex, for evidence. */
export function hexPrefix(b: Uint8Array, n = 16): string {
  return Buffer.from(b.subarray(0, n)).toString('hex');
}
