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
// exponentiation per try, one per decode) is BigInt.
import { sha512 } from './hmac.js';
import {
  add,
  fromBytesLE,
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
  // + L[sk[0] & 7]. libsodium's add accepts any on-curve point, low-order ones included.
  const dirty = new Uint8Array(32);
  coreEd25519Add(dirty, pk, LOW_ORDER_ENCODED[sk[0]! & 7]!);

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
  return { privateKey: sk, publicKey: toBytesLE(u), representative };
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
  return toBytesLE(elligator2MapToU(fromBytesLE(representative, 0x3f)));
}
