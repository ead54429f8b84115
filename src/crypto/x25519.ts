// X25519 over libsodium, plus obfs4's identity-key derivation (protocols.md §2.1).
import { scalarmult } from './sodium.js';
import { sha512 } from './hmac.js';
import { randomBytes, systemRandom, type RandomSource } from './random.js';
import { withoutTurbofan } from './without-turbofan.js';
import { x25519BaseLadder } from './x25519-ladder.js';

/** X25519 scalar, point and shared-secret length. */
export const X25519_KEY_LENGTH = 32;

/** A Curve25519 private scalar and its public Montgomery u-coordinate (both 32 bytes). */
export interface X25519Keypair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

function check32(name: string, b: Uint8Array): void {
  if (!(b instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (b.length !== X25519_KEY_LENGTH) {
    throw new RangeError(`${name} must be ${X25519_KEY_LENGTH} bytes, got ${b.length}`);
  }
}

/**
 * X25519(scalar, point) per RFC 7748: the scalar is clamped internally and bit 255 of the point
 * is ignored. Returns null when the result would be all zero (a low-order peer point), which
 * obfs4 treats as a failed handshake; libsodium refuses to produce that output.
 */
export function x25519(scalar: Uint8Array, point: Uint8Array): Uint8Array | null {
  check32('scalar', scalar);
  check32('point', point);
  const out = new Uint8Array(X25519_KEY_LENGTH);
  if (!scalarmult(out, scalar, point)) return null;
  // libsodium already rejects an all-zero result; keep the check so the contract does not
  // depend on the library version.
  let acc = 0;
  for (const v of out) acc |= v;
  return acc === 0 ? null : out;
}

let baseCalls = 0;

/**
 * X25519(scalar, 9): the standard public key of `scalar` (clamped internally, RFC 7748). Only
 * identities need it, at start and in `keygen`, so it is the plain-JavaScript ladder of
 * x25519-ladder.ts rather than a library: a bridge that reads its obfs4_state.json loads neither
 * node:crypto nor libsodium's addon before its first connection. The first call of a process,
 * the one a bridge makes at start, runs without TurboFan (without-turbofan.ts); later ones (tests,
 * tools making many identities) are optimised as usual.
 */
export function x25519Base(scalar: Uint8Array): Uint8Array {
  check32('scalar', scalar);
  return baseCalls++ === 0
    ? withoutTurbofan(() => x25519BaseLadder(scalar))
    : x25519BaseLadder(scalar);
}

/**
 * The identity keypair for `private` bytes loaded from a state file: the public key is always
 * recomputed (obfs4 `KeypairFromHex` ignores the stored public key).
 */
export function identityFromPrivate(privateKey: Uint8Array): X25519Keypair {
  check32('privateKey', privateKey);
  return { privateKey: Uint8Array.from(privateKey), publicKey: x25519Base(privateKey) };
}

/**
 * A fresh bridge identity keypair as obfs4 `NewKeypair(false)` makes it:
 * b = SHA-512(32 random bytes)[0:32] (stored unclamped), B = X25519(b, 9).
 */
export function newIdentityKeypair(rng: RandomSource = systemRandom): X25519Keypair {
  const b = sha512(randomBytes(32, rng)).slice(0, 32);
  return { privateKey: b, publicKey: x25519Base(b) };
}
