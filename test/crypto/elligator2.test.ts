import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import sodium from 'sodium-native';
import { bytesToHex, hexToBytes } from '../../src/crypto/bytes.js';
import fc from 'fast-check';
import {
  dirtyToRepresentative,
  dirtyToRepresentativeReference,
  elligator2MapToU,
  generateSessionKeypair,
  LOW_ORDER_POINTS,
  MAX_KEYGEN_TRIES,
  representativeToPublicKey,
  representativeToPublicKeyReference,
  sessionKeypairFromSeed,
  sessionKeypairFromSeedReference,
  type SessionKeypair,
} from '../../src/crypto/elligator2.js';
import { fromBytesLE } from '../../src/crypto/field25519.js';
import { sha512 } from '../../src/crypto/hmac.js';
import type { RandomSource } from '../../src/crypto/random.js';
import { x25519, x25519Base } from '../../src/crypto/x25519.js';
import * as ref from './ed25519-ref.js';
import { loadVectors } from './vectors.js';

interface EllVectors {
  keygen: {
    seed: string;
    privateKey: string;
    tweak: number;
    k: number;
    dirtyPublicKey: string;
    representative: string;
    cleanPublicKeyPrefix: string;
    cleanPublicKeySuffix: string;
  };
  representativeMatch: { representative: string; publicKey: string; incorrectBit254Kept: string };
  lowOrderPoints: { encodings: string[] };
  lowOrderConstants: { lopX: string; lopY: string; sqrtM1: string; negTwo: string };
}
const V = loadVectors<EllVectors>('elligator2.json');

const rand32 = (): Uint8Array => new Uint8Array(randomBytes(32));

test('keygen vector: seed → unclamped sk, tweak, k, dirty u, representative', () => {
  const v = V.keygen;
  const seed = hexToBytes(v.seed);
  const digest = sha512(seed);
  assert.equal(digest[63], v.tweak);
  const kp = sessionKeypairFromSeed(seed);
  assert.ok(kp);
  assert.equal(bytesToHex(kp.privateKey), v.privateKey);
  assert.equal(kp.privateKey[0]! & 7, v.k);
  assert.equal(bytesToHex(kp.publicKey), v.dirtyPublicKey);
  assert.equal(bytesToHex(kp.representative), v.representative);
  assert.equal(bytesToHex(representativeToPublicKey(kp.representative)), v.dirtyPublicKey);
  // The dirty key differs from the standard X25519 public key, which the vector also gives.
  const clean = bytesToHex(x25519Base(kp.privateKey));
  assert.ok(clean.startsWith(v.cleanPublicKeyPrefix) && clean.endsWith(v.cleanPublicKeySuffix));
  assert.notEqual(clean, v.dirtyPublicKey);
});

test('ptrs representative_match: both top bits cleared; keeping bit 254 gives the wrong key', () => {
  const v = V.representativeMatch;
  const repr = hexToBytes(v.representative);
  assert.equal(bytesToHex(representativeToPublicKey(repr)), v.publicKey);
  // The historical decoder masked only bit 255.
  const wrong = elligator2MapToU(fromBytesLE(repr, 0x7f));
  const wrongBytes = hexToBytes(wrong.toString(16).padStart(64, '0')).reverse();
  assert.equal(bytesToHex(wrongBytes), v.incorrectBit254Kept);
  assert.notEqual(v.incorrectBit254Kept, v.publicKey);
});

test('the high two representative bits are random padding and ignored by the decoder', () => {
  const seen = new Set<number>();
  for (let i = 0; i < 64; i++) {
    const kp = generateSessionKeypair();
    seen.add(kp.representative[31]! >> 6);
    for (let top = 0; top < 4; top++) {
      const r = Uint8Array.from(kp.representative);
      r[31] = (r[31]! & 0x3f) | (top << 6);
      assert.deepEqual(representativeToPublicKey(r), kp.publicKey);
    }
  }
  assert.equal(seen.size, 4);
});

test('obfs4 low-order constants re-derive (x25519ell2_test testConstants)', () => {
  const c = V.lowOrderConstants;
  const lopX = ref.leToBigint(hexToBytes(c.lopX));
  const lopY = ref.leToBigint(hexToBytes(c.lopY));
  assert.equal(ref.leToBigint(hexToBytes(c.negTwo)), ref.p - 2n);
  assert.equal(ref.leToBigint(hexToBytes(c.sqrtM1)), ref.sqrtM1);
  // lop_x = sqrt((sqrt(d + 1) + 1) / d), taking the non-negative (even) roots as Go's SqrtRatio.
  const even = (r: bigint): bigint => (r & 1n ? ref.p - r : r);
  const s1 = even(ref.sqrt(ref.d + 1n)!);
  const expectedX = even(ref.sqrt(ref.md((s1 + 1n) * ref.inv(ref.d)))!);
  assert.equal(lopX, expectedX);
  assert.equal(lopY, ref.md(-lopX * ref.sqrtM1));
});

test('the 8 low-order points obfs4 adds are distinct, on the curve and killed by 8', () => {
  const enc = new Set<string>();
  for (const pt of LOW_ORDER_POINTS) {
    assert.ok(ref.onCurve(pt));
    assert.deepEqual(ref.scalarMult(8n, pt), { x: 0n, y: 1n });
    enc.add(bytesToHex(ref.encodePoint(pt)));
  }
  assert.equal(enc.size, 8);
  assert.deepEqual([...enc].sort(), [...V.lowOrderPoints.encodings].sort());
});

test('dirty public key = u(clamp(sk)·G + L[sk[0] & 7]) against a BigInt reference, all k', () => {
  const seenK = new Set<number>();
  for (let i = 0; seenK.size < 8 || i < 16; i++) {
    assert.ok(i < 400, 'did not see all 8 low-order selectors');
    const kp = sessionKeypairFromSeed(rand32());
    if (kp === null) continue;
    const k = kp.privateKey[0]! & 7;
    seenK.add(k);
    const s = Uint8Array.from(kp.privateKey);
    s[0]! &= 248;
    s[31]! &= 127;
    s[31]! |= 64;
    const P = ref.addPoints(ref.scalarMult(ref.leToBigint(s), ref.G), LOW_ORDER_POINTS[k]!);
    assert.equal(ref.leToBigint(kp.publicKey), ref.edwardsToU(P), `k = ${k}`);
  }
});

test('about half of the seeds are representable; every key round-trips and interoperates', () => {
  const peer = rand32();
  let good = 0;
  const n = 400;
  for (let i = 0; i < n; i++) {
    const kp = sessionKeypairFromSeed(rand32());
    if (kp === null) continue;
    good++;
    assert.deepEqual(representativeToPublicKey(kp.representative), kp.publicKey);
    // X25519 clamps the scalar to a multiple of 8, so the dirty key and the clean key give
    // the same shared secret (x25519ell2_test testKeyExchange).
    assert.deepEqual(x25519(peer, kp.publicKey), x25519(peer, x25519Base(kp.privateKey)));
  }
  assert.ok(good > n * 0.35 && good < n * 0.65, `${good}/${n} representable`);
});

test('DH agreement through representatives over random pairs', () => {
  for (let i = 0; i < 100; i++) {
    const a = generateSessionKeypair();
    const b = generateSessionKeypair();
    const ab = x25519(a.privateKey, representativeToPublicKey(b.representative));
    const ba = x25519(b.privateKey, representativeToPublicKey(a.representative));
    assert.ok(ab && ba);
    assert.deepEqual(ab, ba);
  }
});

test('decoded public keys cover all 8 low-order components (obfs4 TestPublicKeySubgroup)', () => {
  // Multiply each decoded point by L; the result is its low-order component. If keys were
  // clean, it would always be the identity and representatives would be distinguishable.
  const wanted = new Map(V.lowOrderPoints.encodings.map((e) => [e, 0]));
  let covered = 0;
  for (let i = 0; i < 225 && covered < 8; i++) {
    const kp = generateSessionKeypair();
    const u = ref.leToBigint(representativeToPublicKey(kp.representative));
    const y = ref.uToEdwardsY(u);
    // The sign of x is not carried by u; either choice is a valid lift and gives ±component.
    const x = ref.recoverX(y, false);
    assert.ok(x !== null, 'decoded u must be on the curve, not the twist');
    const lo = bytesToHex(ref.encodePoint(ref.scalarMult(ref.L, { x, y })));
    const count = wanted.get(lo);
    assert.ok(count !== undefined, `unexpected point ${lo}`);
    if (count === 0) covered++;
    wanted.set(lo, count + 1);
  }
  assert.equal(covered, 8, JSON.stringify([...wanted]));
});

test('decoder agrees with the BigInt reference map on random input, incl. r ≥ 2^254 edge', () => {
  const A = 486662n;
  const refMap = (r: bigint): bigint => {
    const w = ref.md(-A * ref.inv(1n + 2n * r * r));
    const gw = ref.md(w * w * w + A * w * w + w);
    return ref.sqrt(gw) !== null ? w : ref.md(-w - A);
  };
  for (let i = 0; i < 50; i++) {
    const b = rand32();
    const expected = refMap(ref.leToBigint(b) & ((1n << 254n) - 1n));
    assert.equal(ref.leToBigint(representativeToPublicKey(b)), expected);
  }
  const ones = new Uint8Array(32).fill(0xff);
  assert.equal(ref.leToBigint(representativeToPublicKey(ones)), refMap((1n << 254n) - 1n));
  assert.equal(ref.leToBigint(representativeToPublicKey(new Uint8Array(32))), refMap(0n));
});

test('generateSessionKeypair is deterministic for a given RNG and gives up on a bad one', () => {
  const seed = hexToBytes(V.keygen.seed);
  const fixed: RandomSource = { fill: (out) => out.set(seed) };
  assert.equal(bytesToHex(generateSessionKeypair(fixed).representative), V.keygen.representative);
  let bad: Uint8Array | null = null;
  while (bad === null) {
    const s = rand32();
    if (sessionKeypairFromSeed(s) === null) bad = s;
  }
  let calls = 0;
  const stuck: RandomSource = {
    fill: (out) => {
      calls++;
      out.set(bad);
    },
  };
  assert.throws(() => generateSessionKeypair(stuck), /broken RNG/);
  assert.equal(calls, MAX_KEYGEN_TRIES);
});

test('libsodium point addition accepts every low-order point (the keygen relies on it)', () => {
  const pk = new Uint8Array(32);
  const s = rand32();
  s[31]! &= 127;
  sodium.crypto_scalarmult_ed25519_base_noclamp(pk, s);
  for (const lop of LOW_ORDER_POINTS) {
    const out = new Uint8Array(32);
    sodium.crypto_core_ed25519_add(out, pk, ref.encodePoint(lop));
  }
});

test('length checks', () => {
  assert.throws(() => sessionKeypairFromSeed(new Uint8Array(31)), RangeError);
  assert.throws(() => representativeToPublicKey(new Uint8Array(33)), RangeError);
});

// The WebAssembly maps against the BigInt ones they replaced (kept as `...Reference`): the same
// bytes out for every input, over random inputs and the edges of the formulas.

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const kpHex = (kp: SessionKeypair | null): string =>
  kp === null
    ? 'null'
    : [kp.privateKey, kp.publicKey, kp.representative].map((b) => bytesToHex(b)).join(':');

test('keygen in WebAssembly (low-order sum + representative) = libsodium add + BigInt map', () => {
  fc.assert(
    fc.property(bytes32, (seed) => {
      assert.equal(
        kpHex(sessionKeypairFromSeed(seed)),
        kpHex(sessionKeypairFromSeedReference(seed)),
      );
    }),
    { numRuns: 2000 },
  );
  // Every k = sk[0] & 7, representable or not, several times each.
  const seen = new Map<string, number>();
  for (let i = 0; seen.size < 16 && i < 2000; i++) {
    const seed = rand32();
    const kp = sessionKeypairFromSeed(seed);
    assert.equal(kpHex(kp), kpHex(sessionKeypairFromSeedReference(seed)));
    const key = `${sha512(seed)[0]! & 7}:${kp === null}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  assert.equal(seen.size, 16);
});

test('representative decode in WebAssembly = BigInt map, random and edge inputs', () => {
  fc.assert(
    fc.property(bytes32, (r) => {
      assert.equal(
        bytesToHex(representativeToPublicKey(r)),
        bytesToHex(representativeToPublicKeyReference(r)),
      );
    }),
    { numRuns: 2000 },
  );
  const edges = [
    new Uint8Array(32),
    new Uint8Array(32).fill(0xff),
    Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0)),
    hexToBytes('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff3f'),
    hexToBytes('ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff3f'),
  ];
  for (const r of edges) {
    assert.equal(
      bytesToHex(representativeToPublicKey(r)),
      bytesToHex(representativeToPublicKeyReference(r)),
    );
  }
});

test('dirty point → representative in WebAssembly = BigInt, random y and y = 0, 1, p-1', () => {
  const P = (1n << 255n) - 19n;
  const check = (y: Uint8Array, tweak: number): void => {
    const a = dirtyToRepresentative(y, tweak);
    const b = dirtyToRepresentativeReference(y, tweak);
    assert.equal(
      a === null ? 'null' : bytesToHex(a.publicKey) + bytesToHex(a.representative),
      b === null ? 'null' : bytesToHex(b.publicKey) + bytesToHex(b.representative),
    );
  };
  fc.assert(
    fc.property(bytes32, fc.integer({ min: 0, max: 255 }), (y, tweak) => {
      // The reference takes canonical y (libsodium's encodings are): keep y below p.
      if (fromBytesLE(y, 0x7f) >= P) return;
      check(y, tweak);
    }),
    { numRuns: 2000 },
  );
  for (const y of [0n, 1n, 2n, P - 1n, P - 2n, (1n << 254n) - 1n]) {
    const b = hexToBytes(y.toString(16).padStart(64, '0')).reverse();
    for (const tweak of [0, 1, 0xc0, 0xff]) {
      check(b, tweak);
      const signed = Uint8Array.from(b);
      signed[31]! |= 0x80;
      check(signed, tweak);
    }
  }
});
