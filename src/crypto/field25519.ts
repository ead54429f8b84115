// Arithmetic in GF(p), p = 2^255 - 19, over BigInt. Only the Elligator2 maps need it; the two
// long exponentiations (inversion and z^((p-5)/8), ~265 multiplications each) run in
// WebAssembly (field25519-wasm.ts), the dozen other operations per map here.
//
// Elements are canonical bigints in [0, p). Reduction exploits 2^255 ≡ 19 (mod p), which is
// about twice as fast as BigInt `%` for a 510-bit product.
import { hexToBytes } from './bytes.js';
import { invertWasm, pow22523Wasm } from './field25519-wasm.js';

/** The field prime 2^255 - 19. */
export const P = (1n << 255n) - 19n;
const MASK255 = (1n << 255n) - 1n;

/** Reduces a non-negative bigint below about 2^512 into [0, p). */
function reduce(x: bigint): bigint {
  x = (x & MASK255) + 19n * (x >> 255n);
  x = (x & MASK255) + 19n * (x >> 255n);
  return x >= P ? x - P : x;
}

/** Canonical representative of any bigint (negative values allowed). */
export function mod(x: bigint): bigint {
  const r = x % P;
  return r < 0n ? r + P : r;
}

export function add(a: bigint, b: bigint): bigint {
  const s = a + b;
  return s >= P ? s - P : s;
}

export function sub(a: bigint, b: bigint): bigint {
  const s = a - b;
  return s < 0n ? s + P : s;
}

export function neg(a: bigint): bigint {
  return a === 0n ? 0n : P - a;
}

export function mul(a: bigint, b: bigint): bigint {
  return reduce(a * b);
}

export function sqr(a: bigint): bigint {
  return reduce(a * a);
}

/** z^(p-2) = 1/z (and 0 for z = 0). */
export function invert(z: bigint): bigint {
  return invertWasm(z);
}

/** z^((p-5)/8) = z^(2^252 - 3). */
export function pow22523(z: bigint): bigint {
  return pow22523Wasm(z);
}

/** sqrt(-1) = 2^((p-1)/4) mod p (the value ref10 and obfs4 use; little-endian hex below). */
export const SQRT_M1 = fromBytesLE(
  hexToBytes('b0a00e4a271beec478e42fad0618432fa7d7fb3d99004d2b0bdfc14f8024832b'),
);

/**
 * One exponentiation that yields both whether v is a square and 1/v (for v ≠ 0).
 *
 * r = v^3 · (v^7)^((p-5)/8) satisfies c = v·r² = (v^((p-1)/4))^7, a fourth root of unity; v is a
 * square exactly when c = ±1. Then 1/v = r²/c, and for a square v, 1/sqrt(v) is r (c = 1) or
 * r·sqrt(-1) (c = -1). Returns null for v = 0.
 */
export function invSqrtAndInverse(
  v: bigint,
): { isSquare: boolean; invSqrt: bigint; inverse: bigint } | null {
  if (v === 0n) return null;
  const v2 = sqr(v);
  const v3 = mul(v2, v);
  const v7 = mul(v3, sqr(v2));
  const r = mul(v3, pow22523(v7));
  const r2 = sqr(r);
  const c = mul(v, r2);
  if (c === 1n) return { isSquare: true, invSqrt: r, inverse: r2 };
  if (c === P - 1n) return { isSquare: true, invSqrt: mul(r, SQRT_M1), inverse: neg(r2) };
  // c = ±sqrt(-1): 1/c = -c.
  return { isSquare: false, invSqrt: 0n, inverse: mul(r2, neg(c)) };
}

/** Little-endian bytes → bigint, optionally clearing the top bits of the last byte first. */
export function fromBytesLE(b: Uint8Array, lastByteMask = 0xff): bigint {
  let hex = '';
  for (let i = b.length - 1; i >= 0; i--) {
    const v = i === b.length - 1 ? b[i]! & lastByteMask : b[i]!;
    hex += (v < 16 ? '0' : '') + v.toString(16);
  }
  return hex === '' ? 0n : BigInt('0x' + hex);
}

/** Canonical element → 32 little-endian bytes. */
export function toBytesLE(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  const hex = x.toString(16).padStart(64, '0');
  for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(62 - 2 * i, 64 - 2 * i), 16);
  return out;
}

/** RFC 8032 "negative": the canonical value is odd. */
export function isOdd(x: bigint): boolean {
  return (x & 1n) === 1n;
}
