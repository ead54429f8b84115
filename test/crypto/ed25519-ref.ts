// A deliberately naive edwards25519 reference in BigInt for tests: plain `%` arithmetic and
// square-and-multiply, independent of src/crypto/field25519.ts, so the two can check each other.
// Slow (milliseconds per scalar multiplication); never use it outside tests.

export const p = (1n << 255n) - 19n;
/** Order of the prime-order subgroup, 2^252 + 27742317777372353535851937790883648493. */
export const L = (1n << 252n) + 27742317777372353535851937790883648493n;

export const md = (a: bigint): bigint => ((a % p) + p) % p;

export function powMod(b: bigint, e: bigint): bigint {
  let r = 1n;
  b = md(b);
  while (e > 0n) {
    if (e & 1n) r = (r * b) % p;
    b = (b * b) % p;
    e >>= 1n;
  }
  return r;
}

export const inv = (a: bigint): bigint => powMod(a, p - 2n);
export const sqrtM1 = powMod(2n, (p - 1n) / 4n);
/** Edwards d = -121665/121666. */
export const d = md(-121665n * inv(121666n));

/** Some square root of a, or null if a is not a square. */
export function sqrt(a: bigint): bigint | null {
  a = md(a);
  let r = powMod(a, (p + 3n) / 8n);
  if ((r * r) % p !== a) r = (r * sqrtM1) % p;
  return (r * r) % p === a ? r : null;
}

export interface Point {
  x: bigint;
  y: bigint;
}

/** x with the given parity such that (x, y) is on the curve, or null. */
export function recoverX(y: bigint, odd: boolean): bigint | null {
  const x2 = md((y * y - 1n) * inv(d * y * y + 1n));
  const x = sqrt(x2);
  if (x === null) return null;
  if (x === 0n) return odd ? null : 0n;
  return (x & 1n) === (odd ? 1n : 0n) ? x : p - x;
}

export function onCurve({ x, y }: Point): boolean {
  return md(-x * x + y * y - 1n - d * x * x * y * y) === 0n;
}

/** Complete twisted-Edwards addition (a = -1), affine. */
export function addPoints(P1: Point, P2: Point): Point {
  const t = md(d * P1.x * P2.x * P1.y * P2.y);
  return {
    x: md((P1.x * P2.y + P1.y * P2.x) * inv(1n + t)),
    y: md((P1.y * P2.y + P1.x * P2.x) * inv(1n - t)),
  };
}

/** k·P by double-and-add in extended coordinates (any k ≥ 0, no reduction mod L). */
export function scalarMult(k: bigint, P1: Point): Point {
  // Extended coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, T = XY/Z; add-2008-hwcd-3 (complete).
  type Ext = [bigint, bigint, bigint, bigint];
  const d2 = md(2n * d);
  const addE = (a: Ext, b: Ext): Ext => {
    const A = md((a[1] - a[0]) * (b[1] - b[0]));
    const B = md((a[1] + a[0]) * (b[1] + b[0]));
    const C = md(a[3] * d2 * b[3]);
    const D = md(a[2] * 2n * b[2]);
    const E = B - A;
    const F = D - C;
    const G = D + C;
    const H = B + A;
    return [md(E * F), md(G * H), md(F * G), md(E * H)];
  };
  let acc: Ext = [0n, 1n, 1n, 0n];
  let base: Ext = [P1.x, P1.y, 1n, md(P1.x * P1.y)];
  while (k > 0n) {
    if (k & 1n) acc = addE(acc, base);
    base = addE(base, base);
    k >>= 1n;
  }
  const zi = inv(acc[2]);
  return { x: md(acc[0] * zi), y: md(acc[1] * zi) };
}

/** The standard base point: y = 4/5, x even. */
export const G: Point = (() => {
  const y = md(4n * inv(5n));
  return { x: recoverX(y, false)!, y };
})();

export function encodePoint({ x, y }: Point): Uint8Array {
  const out = new Uint8Array(32);
  let v = y;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (x & 1n) out[31]! |= 0x80;
  return out;
}

export function leToBigint(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

/** Montgomery u = (1 + y) / (1 - y). */
export const edwardsToU = ({ y }: Point): bigint => md((1n + y) * inv(1n - y));
/** Edwards y = (u - 1) / (u + 1). */
export const uToEdwardsY = (u: bigint): bigint => md((u - 1n) * inv(u + 1n));
