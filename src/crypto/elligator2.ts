// obfs4 session keys: X25519 keypairs whose public key is sent as an Elligator2
// "representative", 32 bytes indistinguishable from random. This follows obfs4proxy 0.0.14 /
// lyrebird exactly (internal/x25519ell2; protocols.md §2.2):
//
//  - sk = SHA-512(seed)[0:32], NOT clamped; tweak = SHA-512(seed)[63].
//  - The public key is "dirty": u of clamp(sk)·G + L[sk[0] & 7], where L[k] is a low-order point.
//    Without the low-order component every representative would decode into the prime-order
//    subgroup, which a censor can test for. X25519 clamps the peer scalar to a multiple of 8, so
//    DH results are unchanged.
//  - Representatives carry two random high bits (tweak & 0xc0); the decoder clears BOTH
//    (keeping bit 254 decodes about half of all representatives to the wrong key, the classic
//    "ntor AUTH mismatch" interop bug).
//  - About half of all seeds have no representative; callers retry with a fresh seed.
//
// Base-point multiplication and the point addition run in libsodium; the field work (one
// exponentiation and a dozen multiplications per try, the same per decode) runs on slots of the
// WebAssembly field module, bytes in to bytes out. The BigInt versions of both maps stay
// (`...Reference`) as the independent check the tests compare the WebAssembly ones against.
import { sha512 } from './hmac.js';
import {
  add,
  fromBytesLE,
  invert,
  invSqrtAndInverse,
  isOdd,
  mul,
  neg,
  P,
  SQRT_M1,
  sqr,
  sub,
  toBytesLE,
} from './field25519.js';
import { FIRST_FREE_SLOT, slotField25519, type SlotField } from './field25519-wasm.js';
import { randomBytes, systemRandom, type RandomSource } from './random.js';
import { coreEd25519Add, scalarmultEd25519BaseNoclamp } from './sodium.js';

/** Representative, public key and private key lengths. */
export const REPRESENTATIVE_LENGTH = 32;
/** Length of the seed that sessionKeypairFromSeed hashes. */
export const SESSION_SEED_LENGTH = 32;
/** generateSessionKeypair gives up after this many unrepresentable seeds (p ≈ 2^-128). */
export const MAX_KEYGEN_TRIES = 128;

/** An obfs4 session keypair. */
export interface SessionKeypair {
  /** 32-byte X25519 scalar (unclamped; X25519 clamps it). */
  privateKey: Uint8Array;
  /** The "dirty" Montgomery u-coordinate: what the peer decodes from `representative`. */
  publicKey: Uint8Array;
  /** 32 bytes sent on the wire in place of the public key. */
  representative: Uint8Array;
}

/** Montgomery A for Curve25519. */
const A = 486662n;
const A2 = mul(A, A);

// Edwards coordinates of the low-order points, exactly as obfs4's selectLowOrderPoint builds
// them from sk[0]: x from bits of sk[0] (lop_x / sqrt(-1) / 0, negated by bit 2), y from bits
// of sk[0]+2 (lop_y / 1 / 0, negated by bit 2).
const LOP_X = fromBytesLE(
  hexBytes('4ad145c54646a1de38e2e513703c195cbb4ade38329933e9284a3906a0b9d51f'),
);
const LOP_Y = fromBytesLE(
  hexBytes('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'),
);

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

function selectLowOrder(b: number, bit0: bigint, bit1: bigint): bigint {
  let v = 0n;
  if (b & 2) v = bit1;
  if (b & 1) v = bit0;
  return b & 4 ? neg(v) : v;
}

/** Edwards (x, y) of L[k] for k = 0..7, as obfs4 selects them. */
export const LOW_ORDER_POINTS: readonly { x: bigint; y: bigint }[] = Array.from(
  { length: 8 },
  (_, k) => ({
    x: selectLowOrder(k, LOP_X, SQRT_M1),
    y: selectLowOrder((k + 2) & 0xff, LOP_Y, 1n),
  }),
);

/** Compressed Edwards encodings of L[k] (y little-endian, sign of x in bit 255). */
const LOW_ORDER_ENCODED: readonly Uint8Array[] = LOW_ORDER_POINTS.map(({ x, y }) => {
  const b = toBytesLE(y);
  if (isOdd(x)) b[31]! |= 0x80;
  return b;
});

function check(name: string, b: Uint8Array, n: number): void {
  if (!(b instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (b.length !== n) throw new RangeError(`${name} must be ${n} bytes, got ${b.length}`);
}

/**
 * Derives the obfs4 session keypair for one 32-byte seed (one iteration of obfs4
 * `NewKeypair(true)`), or null when the dirty public key has no Elligator2 representative
 * (about half of all seeds). Deterministic, so known-answer tests can replay it.
 */
export function sessionKeypairFromSeed(seed: Uint8Array): SessionKeypair | null {
  check('seed', seed, SESSION_SEED_LENGTH);
  const digest = sha512(seed);
  const sk = digest.slice(0, 32);
  const tweak = digest[63]!;

  // clamp(sk)·G in libsodium (noclamp: we clamp ourselves, on a copy; sk stays unclamped).
  const s = Uint8Array.from(sk);
  s[0]! &= 248;
  s[31]! &= 127;
  s[31]! |= 64;
  const pk = new Uint8Array(32);
  scalarmultEd25519BaseNoclamp(pk, s);
  s.fill(0);
  // + L[sk[0] & 7], then the representative, on WebAssembly slots.
  const kp = lowOrderSumToRepresentative(pk, sk[0]! & 7, tweak);
  return kp === null ? null : { privateKey: sk, ...kp };
}

/**
 * sessionKeypairFromSeed as it was before the WebAssembly maps: the low-order point added by
 * libsodium, the field part in BigInt. The reference for tests.
 */
export function sessionKeypairFromSeedReference(seed: Uint8Array): SessionKeypair | null {
  check('seed', seed, SESSION_SEED_LENGTH);
  const digest = sha512(seed);
  const sk = digest.slice(0, 32);
  const s = Uint8Array.from(sk);
  s[0]! &= 248;
  s[31]! &= 127;
  s[31]! |= 64;
  const pk = new Uint8Array(32);
  scalarmultEd25519BaseNoclamp(pk, s);
  // libsodium's add accepts any on-curve point, low-order ones included.
  const dirty = new Uint8Array(32);
  coreEd25519Add(dirty, pk, LOW_ORDER_ENCODED[sk[0]! & 7]!);
  const kp = dirtyToRepresentativeReference(dirty, digest[63]!);
  return kp === null ? null : { privateKey: sk, ...kp };
}

/**
 * BigInt version of the field part of sessionKeypairFromSeed: the dirty Edwards point (y with
 * the sign of x in bit 255) and the tweak byte → the Montgomery u and its representative, or
 * null without one. The reference the WebAssembly version is tested against.
 */
export function dirtyToRepresentativeReference(
  dirty: Uint8Array,
  tweak: number,
): { publicKey: Uint8Array; representative: Uint8Array } | null {
  // Montgomery u = (1 + y) / (1 - y) = N / D. Everything below avoids a separate inversion:
  // with T' = -2·N·(N + A·D), obfs4's t = -2·u·(u + A) equals T'/D², so one inverse square
  // root s = 1/sqrt(T'·D²) gives the square test, 1/D = s²·T'·D and sqrt(1/t) = s·D².
  const y = fromBytesLE(dirty, 0x7f);
  const N = add(1n, y);
  const D = sub(1n, y);
  const NplusAD = add(N, mul(A, D));
  const Tp = neg(mul(add(N, N), NplusAD));
  const DD = sqr(D);
  const res = invSqrtAndInverse(mul(Tp, DD));
  if (res === null || !res.isSquare) return null;
  const invS = res.invSqrt;
  const invD = mul(mul(sqr(invS), Tp), D);
  const u = mul(N, invD);
  const r0 = mul(invS, DD);
  let r = mul(tweak & 1 ? add(u, A) : u, r0);
  // Pick the root in [0, (p-1)/2]: obfs4 negates when 2r mod p is odd.
  if (isOdd(add(r, r))) r = neg(r);

  const representative = toBytesLE(r);
  representative[31]! |= tweak & 0xc0;
  return { publicKey: toBytesLE(u), representative };
}

/**
 * Generates a session keypair from `rng`, retrying unrepresentable seeds (obfs4
 * `NewKeypair(true)`). Each try consumes 32 bytes from `rng`.
 * @throws Error if MAX_KEYGEN_TRIES seeds in a row fail (only with a broken RNG).
 */
export function generateSessionKeypair(rng: RandomSource = systemRandom): SessionKeypair {
  for (let i = 0; i < MAX_KEYGEN_TRIES; i++) {
    const seed = randomBytes(SESSION_SEED_LENGTH, rng);
    const kp = sessionKeypairFromSeed(seed);
    seed.fill(0);
    if (kp !== null) return kp;
  }
  throw new Error(`no representable session key in ${MAX_KEYGEN_TRIES} tries: broken RNG?`);
}

/**
 * The Elligator2 direct map (RFC 9380 form, Z = 2) on a field element r:
 * w = -A / (1 + 2r²); u = w if w³ + A·w² + w is a square, else -w - A. Exposed for tests and
 * tooling; protocol code should call representativeToPublicKey, which masks the input first.
 */
export function elligator2MapToU(r: bigint): bigint {
  // D = 1 + 2r² is never 0 (-1/2 is not a square mod p). With w = -A/D,
  // w³ + A·w² + w = -A·(A² - A²·D + D²)/D³, whose square class is that of
  // E = -A·D·(A² - A²·D + D²). One exponentiation of E·D² gives the test and 1/D.
  const rr = sqr(r % P);
  const D = add(1n, add(rr, rr));
  const DD = sqr(D);
  const E = neg(mul(mul(A, D), add(sub(A2, mul(A2, D)), DD)));
  const res = invSqrtAndInverse(mul(E, DD));
  if (res === null) throw new Error('unreachable: E·D² is never zero');
  const invD = mul(mul(res.inverse, E), D);
  const w = neg(mul(A, invD));
  return res.isSquare ? w : sub(neg(w), A);
}

/**
 * Decodes a representative to the sender's (dirty) X25519 public key. Clears the two high bits
 * (obfs4 0.0.14 behaviour), so any 32 bytes decode.
 */
export function representativeToPublicKey(representative: Uint8Array): Uint8Array {
  check('representative', representative, REPRESENTATIVE_LENGTH);
  return mapToUWasm(representative);
}

/** BigInt version of representativeToPublicKey, the reference for tests. */
export function representativeToPublicKeyReference(representative: Uint8Array): Uint8Array {
  check('representative', representative, REPRESENTATIVE_LENGTH);
  return toBytesLE(elligator2MapToU(fromBytesLE(representative, 0x3f)));
}

// ---------------------------------------------------------------------------------------------
// The same two maps on the WebAssembly module's slots, with the same formulas as the BigInt
// versions above (each line there has its counterpart here). Values stay in linear memory from
// the input bytes to the output bytes; only the square test's result and the parity of 2r come
// back to JavaScript, as the BigInt code branches on them too.

const S0 = FIRST_FREE_SLOT;
// Constants.
const K_ONE = S0;
const K_A = S0 + 1;
const K_A2 = S0 + 2;
const K_ZERO = S0 + 3;
const K_SQRT_M1 = S0 + 4;
const K_D = S0 + 5;
/** Per low-order point L[k]: x, y and d·x·y at K_LOP + 3k, +1, +2. */
const K_LOP = S0 + 6;
// Scratch.
const [Y, N, D, T, T2, TP, DD, V, V2, V3, V7, R, R2, C, INVS, INVD, U, R0, RR, E, W] = Array.from(
  { length: 21 },
  (_, i) => K_LOP + 24 + i,
) as [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

let slots: SlotField | null = null;
const cBytes = new Uint8Array(32);
const parityBytes = new Uint8Array(32);
/** p - 1, little-endian. */
const MINUS_ONE = toBytesLE(P - 1n);

function fieldSlots(): SlotField {
  if (slots !== null) return slots;
  const f = slotField25519();
  f.setSmall(K_ONE, 1);
  f.setSmall(K_A, Number(A));
  f.sqr(K_A2, K_A);
  f.setSmall(K_ZERO, 0);
  f.fromBytes(K_SQRT_M1, toBytesLE(SQRT_M1), 0xff);
  const d = mul(P - 121665n, invert(121666n));
  f.fromBytes(K_D, toBytesLE(d), 0xff);
  LOW_ORDER_POINTS.forEach(({ x, y }, k) => {
    f.fromBytes(K_LOP + 3 * k, toBytesLE(x), 0xff);
    f.fromBytes(K_LOP + 3 * k + 1, toBytesLE(y), 0xff);
    f.fromBytes(K_LOP + 3 * k + 2, toBytesLE(mul(d, mul(x, y))), 0xff);
  });
  slots = f;

  return f;
}

const NOT_SQUARE = 0;
const C_ONE = 1;
const C_MINUS_ONE = 2;

/**
 * invSqrtAndInverse (field25519.ts) on slot V: leaves r in R, r² in R2 and c = v·r² in C, and
 * says which of c = 1, c = -1 or c = ±sqrt(-1) (v not a square, or v = 0) holds.
 */
function invSqrtStep(f: SlotField): number {
  f.sqr(V2, V);
  f.mul(V3, V2, V);
  f.sqr(T, V2);
  f.mul(V7, V3, T);
  f.pow22523(T, V7);
  f.mul(R, V3, T);
  f.sqr(R2, R);
  f.mul(C, V, R2);
  f.toBytes(C, cBytes);
  if (cBytes[0] === 1 && isZeroFrom(cBytes, 1)) return C_ONE;
  if (equalBytes(cBytes, MINUS_ONE)) return C_MINUS_ONE;
  return NOT_SQUARE;
}

function isZeroFrom(b: Uint8Array, from: number): boolean {
  for (let i = from; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** dirtyToRepresentativeReference on WebAssembly slots (what sessionKeypairFromSeed uses). */
export function dirtyToRepresentative(
  dirty: Uint8Array,
  tweak: number,
): { publicKey: Uint8Array; representative: Uint8Array } | null {
  const f = fieldSlots();
  f.fromBytes(Y, dirty, 0x7f);
  f.add(N, K_ONE, Y);
  f.sub(D, K_ONE, Y);
  return representativeOfND(f, tweak);
}

/**
 * For an Edwards point P (libsodium's canonical encoding `pk`) and L[k]: the Montgomery u of
 * P + L[k] and its representative, or null without one, as dirtyToRepresentative of the sum's
 * encoding would give, without encoding the sum. Only the sum's y is needed, and projectively:
 * with the extended-coordinate addition (Hisil–Wong–Carter–Dawson, a = -1) y₃ = H/F for
 * F = 1 - d·x₁y₁·x₂y₂ and H = x₁x₂ + y₁y₂ (common factor 2 dropped), so u = (1 + y₃)/(1 - y₃)
 * = (F + H)/(F - H). The formula is complete on edwards25519; x₁ comes from decompressing P.
 * The representative does not depend on the common factor of N and D (representativeOfND).
 */
function lowOrderSumToRepresentative(
  pk: Uint8Array,
  k: number,
  tweak: number,
): { publicKey: Uint8Array; representative: Uint8Array } | null {
  // L[0] is the identity: the sum is P itself, no x needed.
  if (k === 0) return dirtyToRepresentative(pk, tweak);
  const f = fieldSlots();
  f.fromBytes(Y, pk, 0x7f);
  // Decompression (RFC 8032 §5.1.3): x² = (y² - 1)/(d·y² + 1) = u/v; x = u·v³·(u·v⁷)^((p-5)/8),
  // times sqrt(-1) when v·x² = -u; then the sign of x from bit 255.
  const X1 = E;
  const YY = V2;
  const UU = V3;
  const VV = V7;
  const VVV = W;
  f.sqr(YY, Y);
  f.sub(UU, YY, K_ONE);
  f.mul(VV, K_D, YY);
  f.add(VV, VV, K_ONE);
  f.sqr(T, VV);
  f.mul(VVV, T, VV); // v³
  f.sqr(T, VVV);
  f.mul(T, T, VV); // v⁷
  f.mul(T, T, UU);
  f.pow22523(T, T);
  f.mul(T, T, VVV);
  f.mul(X1, T, UU);
  f.sqr(T, X1);
  f.mul(T, T, VV);
  f.toBytes(T, cBytes);
  if (!equalBytes(cBytes, f.toBytes(UU, parityBytes))) {
    f.sub(T2, K_ZERO, UU);
    if (!equalBytes(cBytes, f.toBytes(T2, parityBytes))) {
      throw new Error('unreachable: libsodium returned a point that is not on the curve');
    }
    f.mul(X1, X1, K_SQRT_M1);
  }
  if ((f.toBytes(X1, parityBytes)[0]! & 1) !== pk[31]! >> 7) f.sub(X1, K_ZERO, X1);
  const lx = K_LOP + 3 * k;
  f.mul(T, X1, lx); // x₁x₂
  f.mul(T2, Y, lx + 1); // y₁y₂
  f.add(T, T, T2); // H
  f.mul(T2, X1, Y);
  f.mul(T2, T2, lx + 2);
  f.sub(T2, K_ONE, T2); // F
  f.add(N, T2, T);
  f.sub(D, T2, T);
  return representativeOfND(f, tweak);
}

/** The rest of dirtyToRepresentative, from u = N/D in slots N and D (any common factor). */
function representativeOfND(
  f: SlotField,
  tweak: number,
): { publicKey: Uint8Array; representative: Uint8Array } | null {
  f.mul(T, K_A, D);

  f.add(T, N, T); // N + A·D
  f.add(T2, N, N);
  f.mul(T, T2, T);
  f.sub(TP, K_ZERO, T); // T' = -2·N·(N + A·D)
  f.sqr(DD, D);
  f.mul(V, TP, DD);
  const kind = invSqrtStep(f);
  // v = 0 lands here too (c = 0), as the reference's null.
  if (kind === NOT_SQUARE) return null;
  if (kind === C_ONE) f.copy(INVS, R);
  else f.mul(INVS, R, K_SQRT_M1);
  f.sqr(T, INVS);
  f.mul(T, T, TP);
  f.mul(INVD, T, D); // 1/D = s²·T'·D
  f.mul(U, N, INVD);
  f.mul(R0, INVS, DD);
  if (tweak & 1) f.add(T, U, K_A);
  else f.copy(T, U);
  f.mul(RR, T, R0);
  f.add(T, RR, RR);
  if (f.toBytes(T, parityBytes)[0]! & 1) f.sub(RR, K_ZERO, RR);
  const representative = f.toBytes(RR);
  representative[31]! |= tweak & 0xc0;
  return { publicKey: f.toBytes(U), representative };
}

/** elligator2MapToU on slots, from the representative's bytes with both top bits cleared. */
function mapToUWasm(representative: Uint8Array): Uint8Array {
  const f = fieldSlots();
  f.fromBytes(RR, representative, 0x3f);
  f.sqr(T, RR);
  f.add(T, T, T);
  f.add(D, K_ONE, T); // D = 1 + 2r²
  f.sqr(DD, D);
  f.mul(T, K_A2, D);
  f.sub(T, K_A2, T);
  f.add(T, T, DD);
  f.mul(T, T, D);
  f.mul(T, T, K_A);
  f.sub(E, K_ZERO, T); // E = -A·D·(A² - A²·D + D²)
  f.mul(V, E, DD);
  const kind = invSqrtStep(f);
  // 1/(E·D²): r² when c = 1, -r² when c = -1, r²·(-c) otherwise.
  if (kind === C_ONE) f.copy(T, R2);
  else if (kind === C_MINUS_ONE) f.sub(T, K_ZERO, R2);
  else {
    f.sub(T2, K_ZERO, C);
    f.mul(T, R2, T2);
  }
  f.mul(INVD, T, E);
  f.mul(INVD, INVD, D);
  f.mul(W, K_A, INVD);
  f.sub(W, K_ZERO, W); // w = -A/D
  if (kind === NOT_SQUARE) {
    f.sub(W, K_ZERO, W);
    f.sub(W, W, K_A); // -w - A
  }
  return f.toBytes(W);
}
