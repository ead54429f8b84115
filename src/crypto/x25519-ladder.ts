// X25519(k, 9) in plain JavaScript: RFC 7748 §5's Montgomery ladder, for the bridge identity only.
//
// Why not OpenSSL or libsodium: a bridge derives its public key from obfs4_state.json at start,
// before any connection, and either library would be loaded for that one call (node:crypto
// ~1.35 MiB of start RSS, libsodium's addon ~0.9 MiB). Why integers this small: V8 keeps numbers
// that fit 32 bits unboxed, and any other number it meets (a product above 2^31, a float, even a
// -0) is a heap object; a ladder on BigInt or on 16-bit limbs in a Float64Array left ~1 MiB of
// such garbage, which grew a fresh process's young generation by that much (measured). Here a
// field element is 24 limbs of 11 bits in an Int32Array, every intermediate stays below 2^30 and
// non-negative, and every temporary is preallocated. Nothing branches or indexes on the secret
// scalar: the swap is a mask. Session keys and every per-connection X25519 stay on libsodium
// (x25519.ts).

const LIMBS = 24; // 264 bits: room for a redundant, unreduced representation
const BITS = 11;
const MASK = (1 << BITS) - 1;
/** 2^264 mod p = 2^9 · 19: what a carry out of the top limb is worth at the bottom. */
const FOLD = 9728;

type Fe = Int32Array;
const fe = (): Fe => new Int32Array(LIMBS);

/**
 * 32 · (2^264 − 9728), a multiple of p whose limbs all exceed any limb of a carried element:
 * sub() adds it so that differences stay non-negative.
 */
const SUB_BIAS = Int32Array.from({ length: LIMBS }, (_, i) =>
  i === 0 ? 32 * 512 : i === 1 ? 32 * 2043 : 32 * 2047,
);

/** 121665 = (486662 − 2) / 4, RFC 7748's a24. */
const A24 = Int32Array.from({ length: LIMBS }, (_, i) =>
  i === 0 ? 121665 & MASK : i === 1 ? 121665 >> BITS : 0,
);

/**
 * Limbs 1–23 below 2^11 and limb 0 below 2^11 + FOLD afterwards (two rounds: the second's carry
 * out of the top is at most 1).
 */
function carry(o: Fe): void {
  for (let round = 0; round < 2; round++) {
    let c = 0;
    for (let i = 0; i < LIMBS; i++) {
      const v = o[i]! + c;
      c = v >> BITS;
      o[i] = v & MASK;
    }
    o[0]! += c * FOLD;
  }
}

function add(o: Fe, a: Fe, b: Fe): void {
  for (let i = 0; i < LIMBS; i++) o[i] = a[i]! + b[i]!;
}

function sub(o: Fe, a: Fe, b: Fe): void {
  for (let i = 0; i < LIMBS; i++) o[i] = a[i]! - b[i]! + SUB_BIAS[i]!;
  carry(o);
}

const product = new Int32Array(2 * LIMBS);

/**
 * o = a·b (o may alias a or b). Inputs are carried elements or sums of two, so a limb is below
 * 2^12 (limb 0 below 2^14.6) and a column of 24 products stays below 2^29.1.
 */
function mul(o: Fe, a: Fe, b: Fe): void {
  product.fill(0);
  for (let i = 0; i < LIMBS; i++) {
    const ai = a[i]!;
    for (let j = 0; j < LIMBS; j++) product[i + j]! += ai * b[j]!;
  }
  let c = 0;
  for (let i = 0; i < 2 * LIMBS - 1; i++) {
    const v = product[i]! + c;
    c = v >> BITS;
    product[i] = v & MASK;
  }
  product[2 * LIMBS - 1] = c;
  for (let i = 0; i < LIMBS; i++) o[i] = product[i]! + FOLD * product[i + LIMBS]!;
  carry(o);
}

/** Swaps p and q when bit is 1, leaves them when 0, with the same operations either way. */
function swap(p: Fe, q: Fe, bit: number): void {
  const mask = 0 - bit; // not -bit: -0 would be a heap number
  for (let i = 0; i < LIMBS; i++) {
    const x = mask & (p[i]! ^ q[i]!);
    p[i]! ^= x;
    q[i]! ^= x;
  }
}

/** o = a^(p−2) = 1/a: p − 2 = 2^255 − 21 has every bit set below 255 except bits 2 and 4. */
function invert(o: Fe, a: Fe): void {
  const c = Int32Array.from(a);
  for (let bit = 253; bit >= 0; bit--) {
    mul(c, c, c);
    if (bit !== 2 && bit !== 4) mul(c, c, a);
  }
  o.set(c);
}

const P = (1n << 255n) - 19n;

/**
 * The canonical 32-byte little-endian encoding. BigInt is fine here: the value is the public key.
 */
function encode(a: Fe): Uint8Array {
  let v = 0n;
  for (let i = LIMBS - 1; i >= 0; i--) v = (v << BigInt(BITS)) | BigInt(a[i]!);
  v %= P;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** X25519(scalar, 9) as 32 little-endian bytes; `scalar` must be 32 bytes (checked by the caller). */
export function x25519BaseLadder(scalar: Uint8Array): Uint8Array {
  // RFC 7748 §5 decoding: bits 0-2 and 255 cleared, bit 254 set.
  const k = Uint8Array.from(scalar);
  k[0]! &= 248;
  k[31] = (k[31]! & 127) | 64;

  const x1 = fe();
  x1[0] = 9;
  const x2 = fe();
  x2[0] = 1;
  const z2 = fe();
  const x3 = Int32Array.from(x1);
  const z3 = fe();
  z3[0] = 1;
  const a = fe();
  const aa = fe();
  const b = fe();
  const bb = fe();
  const e = fe();
  const c = fe();
  const d = fe();
  const da = fe();
  const cb = fe();

  let swapped = 0;
  for (let t = 254; t >= 0; t--) {
    const bit = (k[t >> 3]! >> (t & 7)) & 1;
    swap(x2, x3, swapped ^ bit);
    swap(z2, z3, swapped ^ bit);
    swapped = bit;
    add(a, x2, z2);
    mul(aa, a, a);
    sub(b, x2, z2);
    mul(bb, b, b);
    sub(e, aa, bb);
    add(c, x3, z3);
    sub(d, x3, z3);
    mul(da, d, a);
    mul(cb, c, b);
    add(x3, da, cb);
    mul(x3, x3, x3);
    sub(z3, da, cb);
    mul(z3, z3, z3);
    mul(z3, z3, x1);
    mul(x2, aa, bb);
    mul(z2, A24, e);
    add(z2, z2, aa);
    mul(z2, z2, e);
  }
  swap(x2, x3, swapped);
  swap(z2, z3, swapped);

  invert(z2, z2);
  mul(x2, x2, z2);
  return encode(x2);
}
