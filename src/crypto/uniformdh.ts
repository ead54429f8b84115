// UniformDH (the obfs3 specification's key exchange, reused by ScrambleSuit; protocols.md §3.1):
// Diffie-Hellman in the RFC 3526 1536-bit MODP group (group 5) with g = 2, whose public values
// are indistinguishable from 192 uniformly random bytes. A private key is made even and its
// discarded low bit picks whether g^x or p − g^x is sent; both are valid because (p − X)^x = X^x
// for even x. This matches obfs4proxy's common/uniformdh, including the use of that low bit as
// the coin.
//
// The modular exponentiation runs in OpenSSL (node:crypto DiffieHellman with the group's
// prime): ~0.7 ms per operation against ~6 ms for a BigInt square-and-multiply on this machine.
import { createDiffieHellman } from 'node:crypto';
import { hexToBytes } from './bytes.js';
import { randomBytes, systemRandom, type RandomSource } from './random.js';

/** Length of a UniformDH private key, public key and shared secret, in bytes. */
export const UNIFORMDH_LENGTH = 192;

/** The RFC 3526 group 5 prime, big-endian. */
export const MODP1536_PRIME = hexToBytes(
  'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1' +
    '29024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
    'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245' +
    'E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
    'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D' +
    'C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
    '83655D23DCA3AD961C62F356208552BB9ED529077096966D' +
    '670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF',
);
const GENERATOR = 2;

export interface UniformDhKeypair {
  /** The even exponent x, 192 bytes big-endian. */
  readonly privateKey: Uint8Array;
  /** What goes on the wire: g^x or p − g^x mod p, 192 bytes big-endian. */
  readonly publicKey: Uint8Array;
}

function checkLength(name: string, b: Uint8Array): void {
  if (!(b instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (b.length !== UNIFORMDH_LENGTH) {
    throw new RangeError(`${name} must be ${UNIFORMDH_LENGTH} bytes, got ${b.length}`);
  }
}

function group(): ReturnType<typeof createDiffieHellman> {
  // Creating the object costs ~10 µs (no primality check for a given prime); one per operation
  // keeps the private key out of any shared object.
  return createDiffieHellman(MODP1536_PRIME, GENERATOR);
}

/** Left-pads a big-endian value OpenSSL returned to exactly 192 bytes. */
function pad192(b: Buffer): Uint8Array {
  const out = new Uint8Array(UNIFORMDH_LENGTH);
  out.set(b, UNIFORMDH_LENGTH - b.length);
  return out;
}

/** p − v for a 192-byte big-endian v < p. */
function primeMinus(v: Uint8Array): Uint8Array {
  const out = new Uint8Array(UNIFORMDH_LENGTH);
  let borrow = 0;
  for (let i = UNIFORMDH_LENGTH - 1; i >= 0; i--) {
    const d = MODP1536_PRIME[i]! - v[i]! - borrow;
    out[i] = d & 0xff;
    borrow = d < 0 ? 1 : 0;
  }
  return out;
}

/**
 * The keypair for a raw 192-byte private value (what obfs4proxy's generateKey does with its
 * random bytes). Exposed for known-answer tests; use generateUniformDhKeypair otherwise.
 */
export function uniformDhKeypairFromPrivate(raw: Uint8Array): UniformDhKeypair {
  checkLength('private key', raw);
  const privateKey = new Uint8Array(raw);
  const sendComplement = (privateKey[UNIFORMDH_LENGTH - 1]! & 1) === 1;
  privateKey[UNIFORMDH_LENGTH - 1]! &= 0xfe;
  const dh = group();
  dh.setPrivateKey(privateKey);
  const x = pad192(dh.generateKeys());
  // Both candidates are always computed, so which one is sent does not show in the timing.
  const complement = primeMinus(x);
  return { privateKey, publicKey: sendComplement ? complement : x };
}

/** A fresh UniformDH keypair from `rng` (the OS CSPRNG by default). */
export function generateUniformDhKeypair(rng: RandomSource = systemRandom): UniformDhKeypair {
  const raw = randomBytes(UNIFORMDH_LENGTH, rng);
  const pair = uniformDhKeypairFromPrivate(raw);
  raw.fill(0);
  return pair;
}

/** True when `v` (192 bytes, big-endian) lies in [2, p − 2], the values a real peer can send. */
export function isValidUniformDhPublic(v: Uint8Array): boolean {
  if (v.length !== UNIFORMDH_LENGTH) return false;
  // v >= 2: some byte before the last is non-zero, or the last is at least 2.
  let high = 0;
  for (let i = 0; i < UNIFORMDH_LENGTH - 1; i++) high |= v[i]!;
  if (high === 0 && v[UNIFORMDH_LENGTH - 1]! < 2) return false;
  // v <= p − 2: compare with p − 2 from the most significant byte down.
  for (let i = 0; i < UNIFORMDH_LENGTH; i++) {
    const limit = i === UNIFORMDH_LENGTH - 1 ? MODP1536_PRIME[i]! - 2 : MODP1536_PRIME[i]!;
    if (v[i]! !== limit) return v[i]! < limit;
  }
  return true;
}

/**
 * peerPublic^x mod p, 192 bytes big-endian. Returns null when the peer's value is outside
 * [2, p − 2] (0, 1, p − 1 give a secret anyone can compute; values ≥ p are not group elements):
 * the caller treats that as a failed handshake.
 */
export function uniformDhSharedSecret(
  privateKey: Uint8Array,
  peerPublic: Uint8Array,
): Uint8Array | null {
  checkLength('private key', privateKey);
  checkLength('peer public key', peerPublic);
  if (!isValidUniformDhPublic(peerPublic)) return null;
  const even = new Uint8Array(privateKey);
  even[UNIFORMDH_LENGTH - 1]! &= 0xfe;
  const dh = group();
  dh.setPrivateKey(even);
  even.fill(0);
  return pad192(dh.computeSecret(peerPublic));
}
